// Package s3test runs a real S3-compatible server (MinIO) for tests of
// code that stores data through gocloud.dev/blob s3:// URLs, such as
// checkpoint storage. weir tests object storage against the real thing
// rather than a fake, so signing, path-style addressing, listing and
// error codes behave as in production.
//
//	srv := s3test.Start(t)           // skipped with -short
//	srv.CreateBucket("checkpoints")
//	url := srv.URL("checkpoints")    // s3://checkpoints?endpoint=...&region=us-east-1&use_path_style=true
//	b := srv.OpenBucket("checkpoints")
//
// The server binary is built from the Go module proxy at a pinned version
// ([MinioVersion]) once per machine and cached (see [BinaryPath]);
// scripts/install-test-deps.sh builds it ahead of a test run, and
// $WEIR_MINIO can point at an existing binary instead.
package s3test
