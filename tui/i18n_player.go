package tui

// playerText is the wording of the learning-tool features: progress, help that grows, the
// quiz, time control and the watch views.
type playerText struct {
	// Menu
	ProgressSteps   string // fmt: done, total
	ProgressHelped  string // fmt: n steps done with help
	NotStarted      string
	Complete        string
	QuizScore       string // fmt: right, total
	ResumeAt        string // fmt: step n
	ProgressNote    string // label of a progress-file warning
	ConfirmResetAll string
	ResetDone       string
	// Practice mode: the menu's mode key and label, the practice score (fmt: done, total),
	// and the step's note on how to play it.
	KeyMode, PracticeLabel, PracticeScore, PracticeNote, PracticeIdle string

	// Help that grows
	Solution      string
	SolutionIntro string
	// SolutionRan introduces the solution once every command ran: s would do nothing.
	SolutionRan string
	Solving     string
	Preparing   string // fmt: step n
	Simulator   string // label of what the simulator did for a step (a node cut off)

	// Quiz
	QuizTitle  string // fmt: n, m
	QuizRight  string
	QuizWrong  string
	QuizIntro  string
	QuizResult string // fmt: right, total
	// QuizFirstCounts: a later answer changes what shows, not the score.
	QuizFirstCounts, QuizSeeResults string

	// The finish page after the quiz.
	FinishTitle, FinishScore, FinishFirstCounts, FinishSteps, FinishHelped string
	FinishMissed, FinishAllRight, FinishNow, FinishNext, FinishAgain       string
	FinishTry, FinishMenu, KeyNextLesson, KeyResults                       string

	// Time control
	Stepped         string
	NothingPending  string
	RealClusterTime string

	// Watch views
	ViewPods, ViewSet, ViewVolumes, ViewEvents, ViewStatus string
	SimMark                                                string
	NoSet                                                  string
	NoClaims                                               string
	NoEvents                                               string
	Ordinal                                                string // fmt: n
	Revision, Claim                                        string
	Partition                                              string
	ViewNeedsLister                                        string
	NotRecorded, FirstVersion, ChangedSince                string

	// Plain mode
	PlainPick, PlainBad, PlainNext, PlainPrompt, PlainNoRun string
	// Feedback for every key in plain mode, the quiz's intro and the finish's next lesson.
	PlainToMenu, PlainLastStep, PlainFirstStep, PlainNoMoreHelp, PlainNoWatchNews string
	PlainNeedsTerminal, PlainNoCluster, QuizIntroPlain, PlainChoose               string
	PlainNextLesson, PlainAfterPrompt                                             string

	// Demo
	DemoPaused string

	// Keys
	KeySolve, KeyQuiz, KeyChoose, KeyAnswer, KeyNextQuestion, KeyLang  string
	KeyPause, KeyStepOnce, KeySlower, KeyFaster, KeyTimeReal, KeyView  string
	KeyResetStep, KeyResetLesson, KeyResetAll, KeyYes, KeyNo, KeySteps string
	KeyInspect                                                         string
	// KeyLeaveRow ends a row selection; KeyPredict answers a step's prediction.
	KeyLeaveRow, KeyPredict string
	// KeySolveBusy is s while a command runs: it tells why it waits.
	KeySolveBusy string
	// Stopping is the status line's word after x, until the command has ended.
	Stopping string

	// The command bar (:) and the output pane of a step with nothing left to run.
	KeyCommand, KeyCmdRun, KeyCmdComplete, KeyCmdHistory, KeyCmdScroll, KeyCmdClose, KeyCmdStop string
	NothingToRun, AllRan                                                                        string

	// Questions before losing work, and what a burst or a busy runner says.
	Kept, AskLeave, AskQuit, AskResetLesson, BusySolve string
	// A command the lesson's ServiceAccount may not run (cordon, drain on a real cluster):
	// OwnCredsWhy and OwnCredsSkipped take the line; OwnCredsAsk is the question after
	// OwnCredsWhy, on a line of its own in the command bar; Skipped labels the note.
	OwnCredsWhy, OwnCredsAsk, OwnCredsSkipped, Skipped string
	QuizIdle, DemoIdle                                 string
}

var playerTexts = map[string]playerText{
	"en": {
		ProgressSteps:   "%d/%d steps",
		ProgressHelped:  "%d with help",
		NotStarted:      "not started",
		Complete:        "complete",
		QuizScore:       "quiz %d/%d",
		ResumeAt:        "resume at step %d",
		ProgressNote:    "progress file",
		ConfirmResetAll: "Forget all progress in every lesson? y to confirm, any other key to keep it.",
		ResetDone:       "All progress was forgotten.",
		KeyMode:         "guided/practice",
		PracticeLabel:   "✎ practice",
		PracticeIdle:    "Type the command in the command bar (:) or your own terminal; h reveals it bit by bit.",
		PracticeScore:   "practice %d/%d",
		PracticeNote:    "Practice: type the commands yourself, in the command bar (:) or your own terminal. h reveals the verb, then the resource, then the full command; a step counts without help only when nothing was revealed.",

		Solution:      "Solution",
		SolutionIntro: "Run these commands (s runs them for you):",
		SolutionRan:   "These commands do it (all of them ran):",
		Solving:       "running the solution…",
		Preparing:     "Reaching the start of step %d: a fresh simulator replays the earlier steps' commands on fast virtual time…",
		Simulator:     "simulator",

		QuizTitle:  "Quiz %d/%d",
		QuizRight:  "Right.",
		QuizWrong:  "Not quite.",
		QuizIntro:  "Choose with ↑ ↓ and press Enter. Only your first answer counts.",
		QuizResult: "Quiz: %d of %d right.",

		QuizFirstCounts:   "Only your first answer counts for the score.",
		QuizSeeResults:    "Press n for your results.",
		FinishTitle:       "Lesson complete",
		FinishScore:       "Quiz: %d of %d right on the first try.",
		FinishFirstCounts: "Only first answers count; you may try the others to read why.",
		FinishSteps:       "Steps: %d of %d done.",
		FinishHelped:      "(%d with a hint or the solution)",
		FinishMissed:      "Worth another look",
		FinishAllRight:    "Every question right on the first try.",
		FinishNow:         "What now",
		FinishNext:        "next lesson: %s",
		FinishAgain:       "play this lesson again from a fresh cluster",
		FinishTry:         "try your own kubectl commands on this cluster",
		FinishMenu:        "back to the lessons",
		KeyNextLesson:     "next lesson",
		KeyResults:        "results",

		Stepped:         "one controller action ran",
		NothingPending:  "nothing pending: every controller is idle",
		RealClusterTime: "A real cluster runs in real time and keeps its state: pause, step, speed (space . - +) and the resets (r, R) work only on the simulator.",

		ViewPods: "pods", ViewSet: "StatefulSet", ViewVolumes: "volumes", ViewEvents: "events", ViewStatus: "status",
		SimMark:         "sim",
		NoSet:           "No StatefulSet yet.",
		NoClaims:        "No claims or volumes yet.",
		NoEvents:        "No events yet.",
		Ordinal:         "#%d",
		Revision:        "rev",
		Claim:           "pvc",
		Partition:       "partition",
		ViewNeedsLister: "This view is not available here.",
		NotRecorded:     "This version of the object was not recorded (it came before the pane started watching).",
		FirstVersion:    "first version seen",
		ChangedSince:    "+/- changed since",
		KeyInspect:      "row's YAML",
		KeyLeaveRow:     "leave row",
		KeySolveBusy:    "do it (waits)",
		Stopping:        "Stopping the command…",
		KeyPredict:      "predict",

		PlainPick: "Lesson number (q quits): ",
		PlainBad: "Not understood. Enter runs the next command; n next step, p previous, h hint, s do it for me, " +
			"c check, w new watch lines, m lessons, q quit; or type a kubectl command (kubectl get pods).",
		PlainNext:          "Next command: %s",
		PlainNoRun:         "(shown, not run here: try it in another terminal)",
		PlainPrompt:        "[Enter run · n next · p prev · h hint · s do it for me · c check · w watch · m lessons · q quit · or a kubectl command] > ",
		PlainToMenu:        "Back to the lessons; your progress is saved.",
		PlainLastStep:      "This is the last step: m goes back to the lessons.",
		PlainFirstStep:     "This is the first step.",
		PlainNoMoreHelp:    "No more help for this step: the solution is above.",
		PlainNoWatchNews:   "No new watch lines.",
		PlainNeedsTerminal: "This command needs a terminal of its own: run it in another terminal (kubetutor serve) or in the full player.",
		PlainNoCluster:     "No cluster to run it on.",
		QuizIntroPlain:     "Quiz: type the number of your answer. Only your first answer counts.",
		PlainChoose:        "Type a number from 1 to %d.",
		PlainNextLesson:    "Next lesson: %s",
		PlainAfterPrompt:   "[Enter next lesson · m lessons · q quit] > ",
		DemoPaused:         "demo paused: space continues",

		KeySolve: "do it for me", KeyQuiz: "quiz", KeyChoose: "choose", KeyAnswer: "answer",
		KeyNextQuestion: "next question", KeyLang: "한국어",
		KeyPause: "pause/resume", KeyStepOnce: "one action", KeySlower: "slower", KeyFaster: "faster",
		KeyTimeReal: "time, resets: simulator only", KeyView: "watch view",
		KeyResetStep: "reset step", KeyResetLesson: "reset lesson", KeyResetAll: "reset all progress",
		KeyYes: "yes", KeyNo: "no", KeySteps: "back to steps",
		KeyCommand: "kubectl", KeyCmdRun: "run", KeyCmdComplete: "complete", KeyCmdHistory: "history",
		KeyCmdScroll: "scroll", KeyCmdClose: "close", KeyCmdStop: "stop",
		NothingToRun: "Nothing to run in this step: read it, then press n.",
		Kept:         "Kept as it was.",
		QuizIdle:     "The quiz and your results are above; p goes back to the steps.",
		DemoIdle:     "The demo runs the commands itself; space pauses it, ← → skip steps.",
		AskLeave: "Leave the lesson? Its simulator starts afresh next time, so the objects you made are lost " +
			"(your progress is saved). y leaves, any other key stays.",
		AskQuit: "Quit kubetutor? The lesson's simulator and the objects you made are lost (your progress " +
			"is saved). y or q quits, any other key stays.",
		AskResetLesson: "Forget this lesson's progress and start it again on a fresh simulator? " +
			"y starts over, any other key keeps it.",
		BusySolve:       "A command is still running: wait for it, or press x to stop it, then s.",
		OwnCredsWhy:     "`%s` changes objects the whole cluster shares, which the lesson may not.",
		OwnCredsAsk:     "Run it with your own credentials, this once? [y/N]",
		Skipped:         "skipped",
		OwnCredsSkipped: "Skipped `%s`. On the simulator (kubetutor without --kubeconfig) it runs as the step says.",
		AllRan:          "This step's commands have run. Press n for the next step.",
	},
	"ko": {
		ProgressSteps:   "%d/%d단계",
		ProgressHelped:  "도움 받은 단계 %d",
		NotStarted:      "시작 전",
		Complete:        "완료",
		QuizScore:       "퀴즈 %d/%d",
		ResumeAt:        "%d단계부터 이어서",
		ProgressNote:    "진도 파일",
		ConfirmResetAll: "모든 레슨의 진도를 지울까요? 지우려면 y, 그대로 두려면 다른 키를 누르세요.",
		ResetDone:       "모든 진도를 지웠습니다.",
		KeyMode:         "안내/연습",
		PracticeLabel:   "✎ 연습",
		PracticeIdle:    "명령 줄(:)이나 자신의 터미널에서 명령을 입력하세요. h를 누르면 조금씩 드러납니다.",
		PracticeScore:   "연습 %d/%d",
		PracticeNote:    "연습: 명령을 직접 입력하세요. 명령 줄(:)이나 자신의 터미널에서 입력하면 됩니다. h를 누르면 동사, 리소스, 전체 명령 순서로 드러납니다. 아무것도 드러내지 않고 끝낸 단계만 도움 없이 끝낸 것으로 셉니다.",

		Solution:      "정답",
		SolutionIntro: "다음 명령을 실행하세요 (s를 누르면 대신 실행합니다):",
		SolutionRan:   "다음 명령으로 해결합니다 (모두 실행했습니다):",
		Solving:       "정답 실행 중…",
		Preparing:     "%d단계의 시작 상태를 만드는 중: 새 시뮬레이터가 앞 단계의 명령을 빠른 가상 시간으로 다시 실행합니다…",
		Simulator:     "시뮬레이터",

		QuizTitle:  "퀴즈 %d/%d",
		QuizRight:  "정답입니다.",
		QuizWrong:  "아닙니다.",
		QuizIntro:  "↑ ↓로 고르고 Enter를 누르세요. 처음 고른 답만 점수에 들어갑니다.",
		QuizResult: "퀴즈: %[2]d문제 중 %[1]d문제 정답.",

		QuizFirstCounts:   "점수에는 처음 고른 답만 들어갑니다.",
		QuizSeeResults:    "n을 누르면 결과를 봅니다.",
		FinishTitle:       "레슨 완료",
		FinishScore:       "퀴즈: %[2]d문제 중 %[1]d문제를 한 번에 맞혔습니다.",
		FinishFirstCounts: "처음 고른 답만 점수에 들어갑니다. 다른 답을 골라 설명을 읽어 봐도 됩니다.",
		FinishSteps:       "단계: %[2]d단계 중 %[1]d단계 완료.",
		FinishHelped:      "(힌트나 정답을 본 단계 %d)",
		FinishMissed:      "다시 볼 만한 문제",
		FinishAllRight:    "모든 문제를 한 번에 맞혔습니다.",
		FinishNow:         "이제 할 수 있는 것",
		FinishNext:        "다음 레슨: %s",
		FinishAgain:       "새 클러스터에서 이 레슨을 다시 하기",
		FinishTry:         "이 클러스터에서 kubectl 명령을 직접 실행해 보기",
		FinishMenu:        "레슨 목록으로",
		KeyNextLesson:     "다음 레슨",
		KeyResults:        "결과 보기",

		Stepped:         "컨트롤러 동작 하나를 실행했습니다",
		NothingPending:  "대기 중인 동작 없음: 모든 컨트롤러가 쉬고 있습니다",
		RealClusterTime: "실제 클러스터는 실제 시간으로 움직이고 상태를 그대로 유지합니다: 일시 정지, 한 단계 실행, 속도 조절(space . - +)과 초기화(r, R)는 시뮬레이터에서만 됩니다.",

		ViewPods: "파드", ViewSet: "스테이트풀셋", ViewVolumes: "볼륨", ViewEvents: "이벤트", ViewStatus: "상태",
		SimMark:         "시뮬",
		NoSet:           "아직 스테이트풀셋이 없습니다.",
		NoClaims:        "아직 클레임이나 볼륨이 없습니다.",
		NoEvents:        "아직 이벤트가 없습니다.",
		Ordinal:         "#%d",
		Revision:        "리비전",
		Claim:           "pvc",
		Partition:       "파티션",
		ViewNeedsLister: "여기서는 이 보기를 쓸 수 없습니다.",
		NotRecorded:     "이 버전의 오브젝트는 기록되지 않았습니다 (감시를 시작하기 전의 버전입니다).",
		FirstVersion:    "처음 본 버전",
		ChangedSince:    "+/- 바뀐 부분, 이전 버전",
		KeyInspect:      "행의 YAML",
		KeyLeaveRow:     "행 선택 끝",
		KeySolveBusy:    "대신 실행 (대기)",
		Stopping:        "명령을 멈추는 중…",
		KeyPredict:      "예측",

		PlainPick: "레슨 번호 (q 종료): ",
		PlainBad: "알 수 없는 입력입니다. Enter 다음 명령 실행, n 다음 단계, p 이전 단계, h 힌트, s 대신 실행, " +
			"c 확인, w 새 감시 줄, m 레슨 목록, q 종료. kubectl 명령을 직접 입력해도 됩니다 (kubectl get pods).",
		PlainNext:          "다음 명령: %s",
		PlainNoRun:         "(보여 주기만 합니다: 다른 터미널에서 실행해 보세요)",
		PlainPrompt:        "[Enter 실행 · n 다음 · p 이전 · h 힌트 · s 대신 실행 · c 확인 · w 감시 · m 목록 · q 종료 · 또는 kubectl 명령] > ",
		PlainToMenu:        "레슨 목록으로 돌아갑니다. 진도는 저장되었습니다.",
		PlainLastStep:      "마지막 단계입니다. m을 누르면 레슨 목록으로 갑니다.",
		PlainFirstStep:     "첫 단계입니다.",
		PlainNoMoreHelp:    "이 단계의 도움말은 더 없습니다. 정답은 위에 있습니다.",
		PlainNoWatchNews:   "새 감시 줄이 없습니다.",
		PlainNeedsTerminal: "이 명령은 자기 터미널이 필요합니다. 다른 터미널(kubetutor serve)이나 전체 화면 플레이어에서 실행하세요.",
		PlainNoCluster:     "실행할 클러스터가 없습니다.",
		QuizIntroPlain:     "퀴즈: 답의 번호를 입력하세요. 처음 고른 답만 점수에 들어갑니다.",
		PlainChoose:        "1부터 %d까지의 번호를 입력하세요.",
		PlainNextLesson:    "다음 레슨: %s",
		PlainAfterPrompt:   "[Enter 다음 레슨 · m 목록 · q 종료] > ",
		DemoPaused:         "데모 일시 정지: space로 계속",

		KeySolve: "대신 실행", KeyQuiz: "퀴즈", KeyChoose: "고르기", KeyAnswer: "답하기",
		KeyNextQuestion: "다음 문제", KeyLang: "English",
		KeyPause: "일시 정지/재개", KeyStepOnce: "동작 하나", KeySlower: "느리게", KeyFaster: "빠르게",
		KeyTimeReal: "시간 조절·초기화: 시뮬레이터 전용", KeyView: "감시 보기",
		KeyResetStep: "단계 초기화", KeyResetLesson: "레슨 초기화", KeyResetAll: "진도 전체 초기화",
		KeyYes: "예", KeyNo: "아니요", KeySteps: "단계로 돌아가기",
		KeyCommand: "kubectl", KeyCmdRun: "실행", KeyCmdComplete: "자동 완성", KeyCmdHistory: "이전 명령",
		KeyCmdScroll: "스크롤", KeyCmdClose: "닫기", KeyCmdStop: "중지",
		NothingToRun: "이 단계에는 실행할 명령이 없습니다. 읽고 나서 n을 누르세요.",
		Kept:         "그대로 두었습니다.",
		QuizIdle:     "퀴즈와 결과는 위에 있습니다. p를 누르면 단계로 돌아갑니다.",
		DemoIdle:     "데모가 명령을 직접 실행합니다. space로 일시 정지, ← →로 단계를 건너뜁니다.",
		AskLeave: "레슨을 떠날까요? 다음에는 시뮬레이터가 새로 시작되어 만든 오브젝트가 사라집니다 " +
			"(진도는 저장됩니다). 떠나려면 y, 머무르려면 다른 키를 누르세요.",
		AskQuit: "kubetutor를 종료할까요? 레슨의 시뮬레이터와 만든 오브젝트가 사라집니다 " +
			"(진도는 저장됩니다). 종료하려면 y 또는 q, 머무르려면 다른 키를 누르세요.",
		AskResetLesson: "이 레슨의 진도를 지우고 새 시뮬레이터에서 다시 시작할까요? " +
			"다시 시작하려면 y, 그대로 두려면 다른 키를 누르세요.",
		BusySolve:       "아직 실행 중인 명령이 있습니다. 끝날 때까지 기다리거나 x로 멈춘 뒤 s를 누르세요.",
		OwnCredsWhy:     "`%s`는 클러스터 전체가 함께 쓰는 오브젝트를 바꾸므로 레슨에서는 실행할 수 없습니다.",
		OwnCredsAsk:     "이번 한 번만 자신의 자격 증명으로 실행할까요? [y/N]",
		Skipped:         "건너뜀",
		OwnCredsSkipped: "`%s`를 건너뛰었습니다. 시뮬레이터(--kubeconfig 없이 실행한 kubetutor)에서는 단계에 적힌 대로 실행됩니다.",
		AllRan:          "이 단계의 명령을 모두 실행했습니다. n을 누르면 다음 단계로 갑니다.",
	},
}
