package filter_test

import (
	"fmt"

	"github.com/pcapdex/pcapdex/filter"
)

func ExampleParse() {
	n, err := filter.Parse("tcp port 80 or 443 and bytes > 1MB")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filter.String(n))
	_, err = filter.Parse("host 10.0.0.1 and port x")
	fmt.Println(err)
	// Output:
	// ((tcp and port 80) or (tcp and port 443)) and bytes > 1000000
	// filter: expected a port number after "port", got "x"
	//   host 10.0.0.1 and port x
	//                          ^
}
