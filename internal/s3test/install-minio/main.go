// Command install-minio builds the MinIO server that s3test runs, if it is
// not built yet, and prints its path. scripts/install-test-deps.sh runs it
// so a test run does not spend minutes building it inside a test.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/weirstream/weir/internal/s3test"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bin, err := s3test.Install(ctx, log.Printf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bin)
}
