package lessons

import (
	"fmt"
	"strings"
)

// messages word a failing check's detail in the lesson's language, so a Korean learner reads
// Korean in the status line. Resource names, field paths and values stay as kubectl prints them.
type messages struct {
	mustExist, mustBeGone, missing func(what string) string
	equals                         func(path, what, want, have string) string
	differs                        func(path, what, want string) string
	equalsPath                     func(path, what, have, refPath, other, refHave string) string
	differsPath                    func(path, what, refPath, other, both string) string
	count                          func(want int, noun, selector string, have int, names string) string
	empty                          string
	ready, notReady                string
	execFailed                     func(what, cmd, why string) string
	execOutput, execContains       func(what, cmd, want, have string) string
	nodeFailed                     func(node, pod string) string
	nodesRecovered                 func(nodes string) string
	phase                          func(p string) string
	nouns                          map[string]string // canonical resource → plural noun
}

var english = messages{
	mustExist:  func(w string) string { return fmt.Sprintf("want %s to exist, it does not", w) },
	mustBeGone: func(w string) string { return fmt.Sprintf("want %s to be gone, it still exists", w) },
	missing:    func(w string) string { return fmt.Sprintf("%s does not exist", w) },
	equals: func(path, what, want, have string) string {
		return fmt.Sprintf("want %s of %s = %s, have %s", path, what, want, have)
	},
	differs: func(path, what, want string) string {
		return fmt.Sprintf("want %s of %s to differ from %s, it does not", path, what, want)
	},
	equalsPath: func(path, what, have, refPath, other, refHave string) string {
		return fmt.Sprintf("want %s of %s (%s) = %s of %s (%s)", path, what, have, refPath, other, refHave)
	},
	differsPath: func(path, what, refPath, other, both string) string {
		return fmt.Sprintf("want %s of %s to differ from %s of %s; both are %s", path, what, refPath, other, both)
	},
	count: func(want int, noun, selector string, have int, names string) string {
		where := ""
		if selector != "" {
			where = " matching " + selector
		}
		return fmt.Sprintf("want %d %s%s, have %d%s", want, noun, where, have, names)
	},
	empty:    "nothing (field missing or empty)",
	ready:    "ready",
	notReady: "not ready",
	execFailed: func(what, cmd, why string) string {
		return fmt.Sprintf("%s: %s failed: %s", what, cmd, why)
	},
	execOutput: func(what, cmd, want, have string) string {
		return fmt.Sprintf("want %s in %s to print %s, it printed %s", cmd, what, want, have)
	},
	execContains: func(what, cmd, want, have string) string {
		return fmt.Sprintf("want %s in %s to print %s, it printed %s", cmd, what, want, have)
	},
	nodeFailed: func(node, pod string) string {
		return fmt.Sprintf("The simulator cut node %s (where %s runs) off the network.", node, pod)
	},
	nodesRecovered: func(nodes string) string {
		if nodes == "" {
			return "No node was cut off."
		}
		return fmt.Sprintf("The simulator reconnected node %s.", nodes)
	},
	phase: func(p string) string { return p },
	nouns: map[string]string{"pods": "pods", "persistentvolumeclaims": "PVCs", "statefulsets": "StatefulSets",
		"services": "Services", "controllerrevisions": "ControllerRevisions", "persistentvolumes": "PersistentVolumes",
		"nodes": "nodes", "configmaps": "ConfigMaps", "deployments": "Deployments", "replicasets": "ReplicaSets"},
}

// korean uses the terms of GLOSSARY.md in plain sentences ending in 「-습니다」, the player's
// speech level. Particles never follow a name or a value (web-0, "3"): a noun such as 오브젝트,
// 값 or 문자열 comes between them, so every sentence reads right whatever the name is.
var korean = messages{
	mustExist:  func(w string) string { return fmt.Sprintf("%s 오브젝트가 아직 없습니다", w) },
	mustBeGone: func(w string) string { return fmt.Sprintf("%s 오브젝트가 아직 남아 있습니다", w) },
	missing:    func(w string) string { return fmt.Sprintf("%s 오브젝트가 없습니다", w) },
	equals: func(path, what, want, have string) string {
		return fmt.Sprintf("%s의 %s 값이 지금 %s입니다(기대하는 값: %s)", what, path, have, want)
	},
	differs: func(path, what, want string) string {
		return fmt.Sprintf("%s의 %s 값이 아직 %s 그대로입니다", what, path, want)
	},
	equalsPath: func(path, what, have, refPath, other, refHave string) string {
		return fmt.Sprintf("%s의 %s 값(%s)과 %s의 %s 값(%s)이 같아야 하는데 다릅니다", what, path, have, other, refPath, refHave)
	},
	differsPath: func(path, what, refPath, other, both string) string {
		return fmt.Sprintf("%s의 %s 값과 %s의 %s 값이 둘 다 %s입니다. 서로 달라야 합니다", what, path, other, refPath, both)
	},
	count: func(want int, noun, selector string, have int, names string) string {
		where := ""
		if selector != "" {
			where = selector + "에 맞는 "
		}
		return fmt.Sprintf("%s%s 수가 지금 %d개입니다(기대하는 수: %d개)%s", where, noun, have, want, names)
	},
	empty:    "없음(필드가 없거나 비어 있음)",
	ready:    "Ready 상태",
	notReady: "Ready가 아닌",
	execFailed: func(what, cmd, why string) string {
		return fmt.Sprintf("%s에서 %s 명령이 실패했습니다: %s", what, cmd, why)
	},
	execOutput: func(what, cmd, want, have string) string {
		return fmt.Sprintf("%s에서 %s 명령의 출력이 지금 %s입니다(기대하는 출력: %s)", what, cmd, have, want)
	},
	execContains: func(what, cmd, want, have string) string {
		return fmt.Sprintf("%s에서 %s 명령의 출력에 %s 문자열이 없습니다(지금 출력: %s)", what, cmd, want, have)
	},
	nodeFailed: func(node, pod string) string {
		return fmt.Sprintf("시뮬레이터가 노드 %s(%s 파드가 실행 중인 노드)의 네트워크를 끊었습니다.", node, pod)
	},
	nodesRecovered: func(nodes string) string {
		if nodes == "" {
			return "끊긴 노드가 없습니다."
		}
		return fmt.Sprintf("시뮬레이터가 노드 %s를 다시 연결했습니다.", nodes)
	},
	phase: func(p string) string { return p + " 상태" },
	nouns: map[string]string{"pods": "파드", "persistentvolumeclaims": "퍼시스턴트볼륨클레임", "statefulsets": "스테이트풀셋",
		"services": "서비스", "controllerrevisions": "컨트롤러리비전", "persistentvolumes": "퍼시스턴트볼륨",
		"nodes": "노드", "configmaps": "컨피그맵", "deployments": "디플로이먼트", "replicasets": "레플리카셋"},
}

func messagesFor(lang string) messages {
	if NormalizeLang(lang) == "ko" {
		return korean
	}
	return english
}

func (m messages) show(v string) string {
	if v == "" {
		return m.empty
	}
	return fmt.Sprintf("%q", v)
}

// countNoun is "ready pods" / "Ready 상태 파드".
func (m messages) countNoun(resource string, ready, notReady bool, phase string) string {
	var adj []string
	if ready {
		adj = append(adj, m.ready)
	}
	if notReady {
		adj = append(adj, m.notReady)
	}
	if phase != "" {
		adj = append(adj, m.phase(phase))
	}
	return strings.TrimSpace(strings.Join(adj, " ") + " " + m.nouns[resource])
}
