package api

import (
	"net/http"
	"testing"
)

// asKind answers the Accept headers client-go and kubectl send for plain objects without
// parsing them; its answer must be the negotiation's for those and for any other header.
func TestAsKindFastPathMatchesNegotiation(t *testing.T) {
	for _, accept := range []string{"", "application/json", "*/*", "application/json, */*",
		"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
		"application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", "application/yaml", "text/html, application/json",
		"application/vnd.kubernetes.protobuf, */*"} {
		r := &http.Request{Header: http.Header{}}
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		if got, want := asKind(r), negotiateKind(accept); got != want {
			t.Errorf("Accept %q: asKind %q, negotiation %q", accept, got, want)
		}
	}
}
