package tui

import "strings"

// text is the player's own wording in one language. Lesson content comes translated from
// the catalog; these are only the frame's words.
type text struct {
	MenuTitle   string
	MenuHint    string
	NoLessons   string
	Minutes     string // fmt with minutes
	Levels      map[string]string
	StepTitle   string // fmt: n, m, title
	Watch       string // pane header prefix
	Output      string
	NoOutput    string
	Running     string
	Stopped     string
	Loading     string
	NoResources string
	// Reconnecting prefixes a watch error: the watch retries by itself (fmt: the error).
	Reconnecting string
	NoWatch      string
	WatchEnded   string
	ShownInPane  string // suffix of a noRun command
	Hint         string // fmt: n, m
	Namespace    string
	Speed        string
	Paused       string
	Step         string // fmt: n, m
	Done         string
	// LessonDone replaces Done on the last step once every step is done.
	LessonDone string
	// NowFailing follows the ✓ of a done step whose state checks fail now.
	NowFailing string
	// EarlierSteps labels the note shown when the learner skips ahead of unfinished steps.
	EarlierSteps, EarlierStepsNote string
	Checking                       string
	NoChecks                       string
	ExitStatus                     string // fmt: code
	// Scroll hints of the step text: more below, more both ways, the end is reached.
	ScrollDown, ScrollBoth, ScrollUp string
	MoreCmds                         string // fmt: n, the commands the compact list hides
	// ScrollUpMore: more above, at the bottom of a pane; NewOutputBelow: output arrived while
	// the learner read above it; OutputCount: the entries of a step's output history.
	ScrollUpMore, NewOutputBelow, OutputCount, NewRowsBelow string
	Kubeconfig                                              string // output pane title for the K key
	KubeconfigHow                                           string // fmt: export line

	// playerText holds the words of the learning-tool features (i18n_player.go).
	playerText

	// key help
	KeyRun, KeyNext, KeyPrev, KeyHint, KeyFocus, KeyScroll, KeySideways, KeyPage, KeyStop, KeyBack string
	KeyUp, KeyDown, KeyStart, KeyHelp, KeyQuit, KeyKubeconfig                                      string
}

var texts = map[string]text{
	"en": {
		MenuTitle:    "kubetutor — StatefulSet lessons",
		MenuHint:     "Pick a lesson and press Enter.",
		NoLessons:    "No lessons found.",
		Minutes:      "%d min",
		Levels:       map[string]string{"beginner": "beginner", "intermediate": "intermediate", "advanced": "advanced"},
		StepTitle:    "Step %d/%d: %s",
		Watch:        "Watch",
		Output:       "Output",
		NoOutput:     "Press Enter to run the highlighted command.",
		Running:      "running…",
		Stopped:      "(stopped)",
		Loading:      "loading…",
		NoResources:  "No resources found.",
		Reconnecting: "reconnecting… (%s)",
		NoWatch:      "This step watches nothing.",
		WatchEnded:   "watch ended",
		ShownInPane:  "(the watch pane shows this)",
		Hint:         "Hint %d/%d",
		Namespace:    "ns",
		Speed:        "speed",
		Paused:       "paused",
		Step:         "step %d/%d",
		Done:         "done",
		LessonDone:   "lesson complete: every step done · esc for the lessons",
		NowFailing:   "now failing",
		EarlierSteps: "earlier steps",
		EarlierStepsNote: "Not done yet: step %s. This step starts from what the earlier steps leave behind, " +
			"so its commands may fail until they are done: press p to go back.",
		Checking:     "checking…",
		NoChecks:     "nothing to check",
		ExitStatus:   "exit status %d",
		ScrollDown:   "↓ more",
		ScrollBoth:   "↑↓ more",
		ScrollUp:     "↑ more",
		MoreCmds:     "+%d more",
		ScrollUpMore: "↑ more", NewOutputBelow: "↓ new output below", OutputCount: "(%d)", NewRowsBelow: "↓ new rows below",
		Kubeconfig: "kubeconfig for your own kubectl",
		KubeconfigHow: "To follow along with your own kubectl, run this in another terminal:\n\n" +
			"  %s\n  kubectl get pods\n\nIt reaches this cluster until kubetutor quits.",
		KeyRun: "run", KeyNext: "next step", KeyPrev: "prev step", KeyHint: "hint",
		KeyFocus: "switch pane", KeyScroll: "scroll", KeySideways: "scroll output sideways", KeyPage: "page", KeyStop: "stop command",
		KeyBack: "lessons", KeyUp: "up", KeyDown: "down", KeyStart: "start", KeyHelp: "help",
		KeyQuit: "quit", KeyKubeconfig: "kubeconfig for your own kubectl",
	},
	"ko": {
		MenuTitle:    "kubetutor — 스테이트풀셋 레슨",
		MenuHint:     "레슨을 고르고 Enter를 누르세요.",
		NoLessons:    "레슨이 없습니다.",
		Minutes:      "%d분",
		Levels:       map[string]string{"beginner": "초급", "intermediate": "중급", "advanced": "고급"},
		StepTitle:    "%d/%d단계: %s",
		Watch:        "감시",
		Output:       "출력",
		NoOutput:     "Enter를 눌러 강조된 명령을 실행하세요.",
		Running:      "실행 중…",
		Stopped:      "(중지됨)",
		Loading:      "불러오는 중…",
		NoResources:  "리소스가 없습니다.",
		Reconnecting: "다시 연결하는 중… (%s)",
		NoWatch:      "이 단계는 감시하는 리소스가 없습니다.",
		WatchEnded:   "감시 종료",
		ShownInPane:  "(감시 창에 표시됨)",
		Hint:         "힌트 %d/%d",
		Namespace:    "네임스페이스",
		Speed:        "속도",
		Paused:       "일시 정지",
		Step:         "%d/%d단계",
		Done:         "완료",
		LessonDone:   "레슨 완료: 모든 단계를 마쳤습니다 · esc로 레슨 목록",
		NowFailing:   "지금은 실패",
		EarlierSteps: "앞 단계",
		EarlierStepsNote: "아직 끝나지 않은 앞 단계가 있습니다: %s단계. 이 단계는 앞 단계가 만든 상태에서 " +
			"시작하므로, 그 단계들을 마치기 전에는 명령이 실패할 수 있습니다. p를 눌러 돌아가세요.",
		Checking:     "확인 중…",
		NoChecks:     "확인할 항목 없음",
		ExitStatus:   "종료 코드 %d",
		ScrollDown:   "↓ 더 있음",
		ScrollBoth:   "↑↓ 더 있음",
		ScrollUp:     "↑ 더 있음",
		MoreCmds:     "외 %d개",
		ScrollUpMore: "↑ 더 있음", NewOutputBelow: "↓ 아래에 새 출력", OutputCount: "(%d)", NewRowsBelow: "↓ 아래에 새 행",
		Kubeconfig: "내 kubectl용 kubeconfig",
		KubeconfigHow: "직접 kubectl을 쓰려면 다른 터미널에서 다음을 실행하세요:\n\n" +
			"  %s\n  kubectl get pods\n\nkubetutor를 종료할 때까지 이 클러스터에 연결됩니다.",
		KeyRun: "실행", KeyNext: "다음 단계", KeyPrev: "이전 단계", KeyHint: "힌트",
		KeyFocus: "창 전환", KeyScroll: "스크롤", KeySideways: "출력 좌우 스크롤", KeyPage: "페이지", KeyStop: "명령 중지",
		KeyBack: "레슨 목록", KeyUp: "위", KeyDown: "아래", KeyStart: "시작", KeyHelp: "도움말",
		KeyQuit: "종료", KeyKubeconfig: "내 kubectl용 kubeconfig",
	},
}

// textFor picks the wording for a language or locale ("ko_KR.UTF-8" → ko), English otherwise.
func textFor(lang string) text {
	l := langCode(lang)
	t := texts[l]
	t.playerText = playerTexts[l]
	return t
}

// langCode maps a language or locale to "ko" or "en".
func langCode(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "ko") {
		return "ko"
	}
	return "en"
}
