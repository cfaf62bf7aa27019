#!/usr/bin/env bash
# Builds what the test suite runs besides Go code, so `make test` does not
# spend minutes on it inside a test: the MinIO server of internal/s3test,
# built from the Go module proxy at the pinned version and cached under the
# user cache directory (~/.cache/weir/minio/VERSION). A no-op when already
# built. Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${GO:-go}" run ./internal/s3test/install-minio
