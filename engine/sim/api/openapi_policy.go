package api

import (
	"encoding/json"
	"fmt"
	"strings"
)

// client-go's embedded OpenAPI documents have no policy/v1, yet kubectl create/apply validate a
// PodDisruptionBudget against /openapi/v3/apis/policy/v1. policyOpenAPI builds that document
// from the apps/v1 one: its meta schemas and the StatefulSet operations renamed, plus the
// PodDisruptionBudget schemas written out below (fields as in k8s.io/api/policy/v1).
func policyOpenAPI(apps []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(apps, &doc); err != nil {
		return nil, err
	}
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	paths, _ := doc["paths"].(map[string]any)
	if schemas == nil || paths == nil {
		return nil, fmt.Errorf("apps/v1 OpenAPI document without schemas or paths")
	}
	outSchemas := map[string]any{}
	for k, v := range schemas {
		if strings.HasPrefix(k, "io.k8s.apimachinery.") {
			outSchemas[k] = v
		}
	}
	var own map[string]any
	if err := json.Unmarshal([]byte(pdbSchemas), &own); err != nil {
		return nil, err
	}
	for k, v := range own {
		outSchemas[k] = v
	}
	outPaths := map[string]any{}
	rename := strings.NewReplacer(
		"io.k8s.api.apps.v1.StatefulSet", "io.k8s.api.policy.v1.PodDisruptionBudget",
		`"group":"apps"`, `"group":"policy"`,
		"/apis/apps/v1/", "/apis/policy/v1/",
		"statefulsets", "poddisruptionbudgets",
		"apps_v1", "policy_v1", "AppsV1", "PolicyV1",
		"StatefulSet", "PodDisruptionBudget")
	for _, p := range []string{"/apis/apps/v1/namespaces/{namespace}/statefulsets", "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}"} {
		b, err := json.Marshal(paths[p])
		if err != nil {
			return nil, err
		}
		var v any
		if err := json.Unmarshal([]byte(rename.Replace(string(b))), &v); err != nil {
			return nil, err
		}
		outPaths[rename.Replace(p)] = v
	}
	return json.Marshal(map[string]any{"openapi": doc["openapi"], "info": doc["info"], "paths": outPaths,
		"components": map[string]any{"schemas": outSchemas}})
}

const pdbSchemas = `{
 "io.k8s.api.policy.v1.PodDisruptionBudget": {"type": "object",
  "description": "PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods",
  "properties": {
   "apiVersion": {"type": "string"}, "kind": {"type": "string"},
   "metadata": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}], "default": {}},
   "spec": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.policy.v1.PodDisruptionBudgetSpec"}], "default": {}},
   "status": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.policy.v1.PodDisruptionBudgetStatus"}], "default": {}}},
  "x-kubernetes-group-version-kind": [{"group": "policy", "kind": "PodDisruptionBudget", "version": "v1"}]},
 "io.k8s.api.policy.v1.PodDisruptionBudgetList": {"type": "object", "required": ["items"],
  "properties": {
   "apiVersion": {"type": "string"}, "kind": {"type": "string"},
   "items": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.policy.v1.PodDisruptionBudget"}], "default": {}}},
   "metadata": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"}], "default": {}}},
  "x-kubernetes-group-version-kind": [{"group": "policy", "kind": "PodDisruptionBudgetList", "version": "v1"}]},
 "io.k8s.api.policy.v1.PodDisruptionBudgetSpec": {"type": "object",
  "properties": {
   "maxUnavailable": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}]},
   "minAvailable": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}]},
   "selector": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"}], "x-kubernetes-patch-strategy": "replace"},
   "unhealthyPodEvictionPolicy": {"type": "string", "enum": ["AlwaysAllow", "IfHealthyBudget"]}}},
 "io.k8s.api.policy.v1.PodDisruptionBudgetStatus": {"type": "object",
  "required": ["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"],
  "properties": {
   "conditions": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Condition"}], "default": {}},
    "x-kubernetes-list-map-keys": ["type"], "x-kubernetes-list-type": "map", "x-kubernetes-patch-merge-key": "type", "x-kubernetes-patch-strategy": "merge"},
   "currentHealthy": {"type": "integer", "format": "int32", "default": 0},
   "desiredHealthy": {"type": "integer", "format": "int32", "default": 0},
   "disruptedPods": {"type": "object", "additionalProperties": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time"}]}},
   "disruptionsAllowed": {"type": "integer", "format": "int32", "default": 0},
   "expectedPods": {"type": "integer", "format": "int32", "default": 0},
   "observedGeneration": {"type": "integer", "format": "int64"}}},
 "io.k8s.api.policy.v1.Eviction": {"type": "object",
  "properties": {
   "apiVersion": {"type": "string"}, "kind": {"type": "string"},
   "deleteOptions": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"}]},
   "metadata": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}], "default": {}}},
  "x-kubernetes-group-version-kind": [{"group": "policy", "kind": "Eviction", "version": "v1"}]},
 "io.k8s.apimachinery.pkg.apis.meta.v1.Condition": {"type": "object",
  "required": ["type", "status", "lastTransitionTime", "reason", "message"],
  "properties": {
   "lastTransitionTime": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time"}]},
   "message": {"type": "string", "default": ""},
   "observedGeneration": {"type": "integer", "format": "int64"},
   "reason": {"type": "string", "default": ""},
   "status": {"type": "string", "default": ""},
   "type": {"type": "string", "default": ""}}}
}`
