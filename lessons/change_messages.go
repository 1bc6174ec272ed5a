package lessons

import (
	"bytes"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/jsonpath"
)

// changeMessages word a failing relative check in the step's language.
type changeMessages struct {
	noBaseline     string
	terminating    string
	notCreated     func(what string) string
	sameObject     func(what string) string
	absentAtStart  func(what string) string
	notBackYet     func(what string) string
	gone           func(what string) string
	specUnchanged  func(what string, gen int64) string
	fieldUnchanged func(path, what, have string) string
	noEvent        func(what string) string
	notObserved    func(name, state string) string
	notRun         func(cmd string) string
	outputMissing  func(cmd, want string) string
}

var englishChange = changeMessages{
	noBaseline:  "no record of how the step began (enter the step in the player, or play it with lessons solve)",
	terminating: "Terminating",
	notCreated:  func(w string) string { return fmt.Sprintf("%s has not been created since the step began", w) },
	sameObject: func(w string) string {
		return fmt.Sprintf("%s is still the object that was there when the step began", w)
	},
	absentAtStart: func(w string) string {
		return fmt.Sprintf("%s did not exist when the step began", w)
	},
	notBackYet: func(w string) string { return fmt.Sprintf("%s is gone and has not come back yet", w) },
	gone:       func(w string) string { return fmt.Sprintf("%s does not exist", w) },
	specUnchanged: func(w string, gen int64) string {
		return fmt.Sprintf("the spec of %s has not changed since the step began (generation %d)", w, gen)
	},
	fieldUnchanged: func(path, w, have string) string {
		return fmt.Sprintf("%s of %s is still %q, as when the step began", path, w, have)
	},
	noEvent: func(w string) string { return fmt.Sprintf("no %s event since the step began", w) },
	notObserved: func(name, state string) string {
		return fmt.Sprintf("%s has not been seen %s since the step began", name, state)
	},
	notRun: func(cmd string) string { return fmt.Sprintf("run `%s` and read its output", cmd) },
	outputMissing: func(cmd, want string) string {
		return fmt.Sprintf("`%s` ran, but its output did not show %q yet", cmd, want)
	},
}

// koreanChange uses the GLOSSARY terms and plain sentences ending in 「-습니다」/「-았습니다」,
// the speech level of the player's other messages.
var koreanChange = changeMessages{
	noBaseline:  "이 단계를 시작할 때의 기록이 없습니다 (플레이어에서 단계를 열거나 lessons solve로 실행하세요)",
	terminating: "Terminating",
	notCreated: func(w string) string {
		return fmt.Sprintf("단계를 시작한 뒤로 %s 오브젝트가 새로 만들어지지 않았습니다", w)
	},
	sameObject: func(w string) string {
		return fmt.Sprintf("%s 오브젝트는 단계를 시작할 때 있던 그대로입니다", w)
	},
	absentAtStart: func(w string) string {
		return fmt.Sprintf("단계를 시작할 때 %s 오브젝트가 없었습니다", w)
	},
	notBackYet: func(w string) string {
		return fmt.Sprintf("%s 오브젝트가 삭제된 뒤 아직 다시 만들어지지 않았습니다", w)
	},
	gone: func(w string) string { return fmt.Sprintf("%s 오브젝트가 없습니다", w) },
	specUnchanged: func(w string, gen int64) string {
		return fmt.Sprintf("단계를 시작한 뒤로 %s의 spec이 바뀌지 않았습니다 (generation %d)", w, gen)
	},
	fieldUnchanged: func(path, w, have string) string {
		return fmt.Sprintf("%s의 %s 값이 단계를 시작할 때와 같은 %q입니다", w, path, have)
	},
	noEvent: func(w string) string {
		return fmt.Sprintf("단계를 시작한 뒤로 %s 이벤트가 없었습니다", w)
	},
	notObserved: func(name, state string) string {
		return fmt.Sprintf("단계를 시작한 뒤로 %s 파드가 %s 상태인 것을 보지 못했습니다", name, state)
	},
	notRun: func(cmd string) string {
		return fmt.Sprintf("`%s` 명령을 실행하고 출력을 읽어 보세요", cmd)
	},
	outputMissing: func(cmd, want string) string {
		return fmt.Sprintf("`%s` 명령을 실행했지만 출력에 아직 %q 문자열이 없습니다", cmd, want)
	},
}

func changeMessagesFor(m messages) changeMessages {
	if m.ready == korean.ready {
		return koreanChange
	}
	return englishChange
}

// jsonPathValue evaluates a client-go JSONPath on one object; a missing field is "".
func jsonPathValue(obj *unstructured.Unstructured, path string) (string, error) {
	jp := jsonpath.New("check").AllowMissingKeys(true)
	if err := jp.Parse(path); err != nil {
		return "", fmt.Errorf("bad JSONPath %q: %v", path, err)
	}
	var buf bytes.Buffer
	if err := jp.Execute(&buf, obj.Object); err != nil {
		return "", fmt.Errorf("JSONPath %q: %v", path, err)
	}
	return buf.String(), nil
}
