package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metainternalversionscheme "k8s.io/apimachinery/pkg/apis/meta/internalversion/scheme"
	metainternalversionvalidation "k8s.io/apimachinery/pkg/apis/meta/internalversion/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// listOptions decodes and checks a list request's query as the apiserver does, in its order:
// the parameter codec (400 on a bad number or bool), ValidateListOptions (422 on ListOptions),
// then the storage layer's checks of continue and resourceVersion (400 with storage's texts).
func listOptions(r *http.Request) (metainternalversion.ListOptions, error) {
	var opts metainternalversion.ListOptions
	if err := metainternalversionscheme.ParameterCodec.DecodeParameters(r.URL.Query(), metav1.SchemeGroupVersion, &opts); err != nil {
		return opts, apierrors.NewBadRequest(err.Error())
	}
	if errs := metainternalversionvalidation.ValidateListOptions(&opts, true); len(errs) > 0 {
		return opts, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "ListOptions"}, "", errs)
	}
	if opts.Continue != "" {
		if err := checkContinueShape(opts.Continue); err != nil {
			return opts, apierrors.NewBadRequest(fmt.Sprintf("invalid continue token: %v", err))
		}
		if opts.ResourceVersion != "" && opts.ResourceVersion != "0" {
			return opts, apierrors.NewBadRequest("specifying resource version is not allowed when using continue")
		}
		// A well-formed token is served (rest.go serveList): the next page starts after its
		// key. The store keeps no old versions to compact, so none is ever too old (410).
		return opts, nil
	}
	if rv := opts.ResourceVersion; rv != "" && rv != "0" {
		if _, err := strconv.ParseUint(rv, 10, 64); err != nil {
			inv := field.ErrorList{field.Invalid(field.NewPath("resourceVersion"), rv, err.Error())}
			return opts, apierrors.NewBadRequest(fmt.Sprintf("invalid resource version: %v", inv.ToAggregate()))
		}
	}
	return opts, nil
}

// checkContinueShape checks a continue token's shape as k8s.io/apiserver/pkg/storage.DecodeContinue
// does, with its error texts.
func checkContinueShape(v string) error {
	const invalid = "continue key is not valid"
	data, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return fmt.Errorf("%s: %v", invalid, err)
	}
	var c struct {
		APIVersion      string `json:"v"`
		ResourceVersion int64  `json:"rv"`
		StartKey        string `json:"start"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("%s: %v", invalid, err)
	}
	if c.APIVersion != "meta.k8s.io/v1" {
		return fmt.Errorf("%s: server does not recognize this encoded version %v", invalid, c.APIVersion)
	}
	switch {
	case c.ResourceVersion == 0:
		return errors.New(invalid + ": incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
	case c.StartKey == "":
		return errors.New(invalid + ": encoded start key empty (version meta.k8s.io/v1)")
	}
	key := c.StartKey
	if !strings.HasPrefix(key, "/") {
		key = "/" + key
	}
	if path.Clean(key) != key {
		return fmt.Errorf("%s: %v", invalid, c.StartKey)
	}
	return nil
}
