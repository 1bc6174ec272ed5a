package api

import _ "embed"

// The real v1.37.2 apiserver's OpenAPI v3 document for autoscaling/v1 (from
// k8s.io/kubernetes api/openapi-spec/v3), which openapitest does not embed. kubectl apply
// validates HorizontalPodAutoscalers against it.
//
//go:embed openapi/apis__autoscaling__v1_openapi.json
var autoscalingV1OpenAPI []byte

// extraOpenAPIDocs are served beside openapitest's documents.
var extraOpenAPIDocs = map[string][]byte{"apis/autoscaling/v1": autoscalingV1OpenAPI}
