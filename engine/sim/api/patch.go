package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// applyPatch patches cur with the apiserver's own libraries and decodes the result into
// into (strictly when directive is Strict).
func applyPatch(w http.ResponseWriter, pt types.PatchType, patch []byte, cur runtime.Object, into runtime.Object, gvk schema.GroupVersionKind, directive string) (runtime.Object, error) {
	if len(patch) == 0 {
		return nil, apierrors.NewBadRequest("the body of the patch is empty")
	}
	original, err := json.Marshal(cur)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	var patched []byte
	switch pt {
	case types.JSONPatchType:
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		patched, err = p.Apply(original)
		if err != nil {
			return nil, apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "", err.Error(), 0, false)
		}
	case types.MergePatchType:
		if !json.Valid(patch) {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding patch: invalid JSON: %s", truncate(patch)))
		}
		patched, err = jsonpatch.MergePatch(original, patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
	case types.StrategicMergePatchType:
		var pm map[string]any
		if err := json.Unmarshal(patch, &pm); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding patch: %v", err))
		}
		patched, err = strategicpatch.StrategicMergePatch(original, patch, into)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
	case types.ApplyYAMLPatchType, types.ApplyCBORPatchType:
		return nil, apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "patch", schema.GroupResource{}, "",
			"server-side apply is not supported by the kubetutor simulator; use kubectl apply without --server-side", 0, false)
	default:
		return nil, apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "patch", schema.GroupResource{}, "",
			fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s, %s, %s", types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType), 0, false)
	}
	if err := decodeInto(w, patched, into, gvk, directive); err != nil {
		return nil, err
	}
	return into, nil
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
