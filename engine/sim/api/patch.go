package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// The apiserver's bounds on JSON patches (k8s.io/apiserver handlers/patch.go and
// server/config.go): without them a 2 KB patch of chained copy operations grows an object
// to gigabytes.
const (
	maxJSONPatchOperations = 10000
	jsonPatchMaxCopyBytes  = 3 << 20
)

// limitJSONPatchCopies sets json-patch's accumulated copy limit, a package variable of the
// library, the way the apiserver does: only ever lowered, so in-process kubectl
// (patch --local) gets the same bound and no caller can raise it again.
func limitJSONPatchCopies() {
	for {
		existing := atomic.LoadInt64(&jsonpatch.AccumulatedCopySizeLimit)
		if existing > 0 && existing <= jsonPatchMaxCopyBytes {
			return
		}
		if atomic.CompareAndSwapInt64(&jsonpatch.AccumulatedCopySizeLimit, existing, jsonPatchMaxCopyBytes) {
			return
		}
	}
}

// applyPatch patches cur with the apiserver's own libraries and decodes the result into
// into (strictly when directive is Strict).
func applyPatch(w http.ResponseWriter, pt types.PatchType, patch []byte, cur runtime.Object, into runtime.Object, gvk schema.GroupVersionKind, directive string) (runtime.Object, error) {
	if len(patch) == 0 {
		return nil, apierrors.NewBadRequest("the body of the patch is empty")
	}
	var patched []byte
	switch pt {
	case types.JSONPatchType:
		original, err := json.Marshal(cur)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		if len(p) > maxJSONPatchOperations {
			return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("The allowed maximum operations in a JSON patch is %d, got %d", maxJSONPatchOperations, len(p)))
		}
		patched, err = p.Apply(original)
		if err != nil {
			return nil, apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "", err.Error(), 0, false)
		}
	case types.MergePatchType:
		if !json.Valid(patch) {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding patch: invalid JSON: %s", truncate(patch)))
		}
		original, err := json.Marshal(cur)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
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
		merged, err := strategicMergePatch(cur, patch, into)
		if err != nil {
			return nil, err
		}
		patched = merged
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

// strategicMergePatch applies a strategic merge patch to cur as the apiserver's smpPatcher
// does: cur converted straight to a map (no JSON round trip), the patch merged in, and the
// result as JSON for the strict decode.
func strategicMergePatch(cur runtime.Object, patch []byte, into runtime.Object) ([]byte, error) {
	original, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cur)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	// Decoded as StrategicMergePatch decodes it (case-sensitive, integers kept as int64).
	patchMap := map[string]any{}
	if err := utiljson.Unmarshal(patch, &patchMap); err != nil {
		return nil, apierrors.NewBadRequest(mergepatch.ErrBadJSONDoc.Error())
	}
	merged, err := strategicpatch.StrategicMergeMapPatch(original, patchMap, into)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	out, err := json.Marshal(merged)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return out, nil
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
