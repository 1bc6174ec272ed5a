package lessons

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubetutor/kubetutor/manifests"
)

var (
	manifestCheckMu sync.Mutex
	manifestChecked = map[string]error{}
)

// manifestProblem reports whether an embedded manifest parses as Kubernetes objects: every
// YAML document decodes and names its apiVersion, kind and metadata.name. A name that is not
// embedded is not its business (lintCommand reports that).
func manifestProblem(name string) error {
	manifestCheckMu.Lock()
	defer manifestCheckMu.Unlock()
	if err, ok := manifestChecked[name]; ok {
		return err
	}
	data, err := manifests.Read(name)
	if err != nil {
		manifestChecked[name] = nil
		return nil
	}
	err = parseManifest(data)
	manifestChecked[name] = err
	return err
}

func parseManifest(data []byte) error {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	n := 0
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("does not parse: %v", err)
		}
		if obj == nil {
			continue // an empty document between ---
		}
		n++
		u := unstructured.Unstructured{Object: obj}
		switch {
		case u.GetAPIVersion() == "":
			return fmt.Errorf("document %d has no apiVersion", n)
		case u.GetKind() == "":
			return fmt.Errorf("document %d has no kind", n)
		case u.GetName() == "" && u.GetGenerateName() == "":
			return fmt.Errorf("document %d (%s) has no metadata.name", n, u.GetKind())
		}
	}
	if n == 0 {
		return errors.New("holds no objects")
	}
	return nil
}
