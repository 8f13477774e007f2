package query_test

import (
	"fmt"

	"github.com/pcapdex/pcapdex/query"
)

func ExampleParse() {
	n, err := query.Parse("tcp port 80 or 443 and bytes > 1MB")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(query.String(n))
	_, err = query.Parse("host 10.0.0.1 and port x")
	fmt.Println(err)
	// Output:
	// ((tcp and port 80) or (tcp and port 443)) and bytes > 1000000
	// filter: expected a port number after "port", got "x"
	//   host 10.0.0.1 and port x
	//                          ^
}
