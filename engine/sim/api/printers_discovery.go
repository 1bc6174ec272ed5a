package api

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// endpointSlicePrinter has kube-apiserver's EndpointSlice columns: at most three ports and
// three addresses, then "+ N more...", and <unset> for none.
var endpointSlicePrinter = printer{
	columns: []metav1.TableColumnDefinition{nameCol,
		col("AddressType", discoveryv1.EndpointSlice{}.SwaggerDoc()["addressType"]),
		col("Ports", discoveryv1.EndpointSlice{}.SwaggerDoc()["ports"]),
		col("Endpoints", discoveryv1.EndpointSlice{}.SwaggerDoc()["endpoints"]),
		ageCol},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		es := obj.(*discoveryv1.EndpointSlice)
		var ports, addrs []string
		for _, p := range es.Ports {
			switch {
			case p.Port != nil:
				ports = append(ports, strconv.Itoa(int(*p.Port)))
			case p.Name != nil:
				ports = append(ports, *p.Name)
			default:
				ports = append(ports, "*")
			}
		}
		for _, e := range es.Endpoints {
			addrs = append(addrs, e.Addresses...)
		}
		return []any{es.Name, string(es.AddressType), firstThree(ports), firstThree(addrs), age(es.CreationTimestamp, now)}, nil
	},
}

func firstThree(list []string) string {
	switch {
	case len(list) == 0:
		return "<unset>"
	case len(list) > 3:
		return fmt.Sprintf("%s + %d more...", strings.Join(list[:3], ","), len(list)-3)
	}
	return strings.Join(list, ",")
}
