package rest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// jsonEq fails the test unless got and want are the same JSON value.
func jsonEq(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("invalid expected JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON mismatch\n got: %s\nwant: %s", got, want)
	}
}

func TestCheckpointStatisticsJSON(t *testing.T) {
	common := `"id": 7, "is_savepoint": %s "trigger_timestamp": 1000, "latest_ack_timestamp": 1500,
		"checkpointed_size": 10, "state_size": 20, "end_to_end_duration": 500, "alignment_buffered": 0,
		"processed_data": 3, "persisted_data": 4, "num_subtasks": 2, "num_acknowledged_subtasks": %d,
		"checkpoint_type": %q, "tasks": {}`
	base := CheckpointStatistics{
		ID: 7, TriggerTimestamp: 1000, LatestAckTimestamp: 1500, CheckpointedSize: 10, StateSize: 20,
		EndToEndDuration: 500, ProcessedData: 3, PersistedData: 4, NumSubtasks: 2,
	}
	completed := base
	completed.Status, completed.NumAckSubtasks, completed.CheckpointType = CheckpointCompleted, 2, TypeSavepoint
	completed.IsSavepoint, completed.SavepointFormat, completed.ExternalPath = true, FormatCanonical, "file:///sp/savepoint-1"
	failed := base
	failed.Status, failed.NumAckSubtasks, failed.CheckpointType = CheckpointFailed, 1, TypeCheckpoint
	failed.FailureTimestamp, failed.FailureMessage = 2000, "Checkpoint expired before completing."
	pending := base
	pending.Status, pending.NumAckSubtasks, pending.CheckpointType = CheckpointInProgress, 1, TypeUnalignedCheckpoint

	tests := []struct {
		name string
		in   CheckpointStatistics
		want string
	}{
		{"completed", completed, `{"className": "completed", "status": "COMPLETED", ` +
			sprintf(common, `true, "savepointFormat": "CANONICAL",`, 2, "SAVEPOINT") +
			`, "external_path": "file:///sp/savepoint-1", "discarded": false}`},
		{"failed", failed, `{"className": "failed", "status": "FAILED", ` +
			sprintf(common, "false,", 1, "CHECKPOINT") +
			`, "failure_timestamp": 2000, "failure_message": "Checkpoint expired before completing."}`},
		{"in progress", pending, `{"className": "in_progress", "status": "IN_PROGRESS", ` +
			sprintf(common, "false,", 1, "UNALIGNED_CHECKPOINT") + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			jsonEq(t, b, tt.want)
			var back CheckpointStatistics
			if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tt.in) {
				t.Fatalf("round trip = %+v, %v; want %+v", back, err, tt.in)
			}
		})
	}
	if _, err := json.Marshal(CheckpointStatistics{ID: 3}); err == nil || !strings.Contains(err.Error(), "status") {
		t.Fatalf("checkpoint without status: error = %v", err)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func TestTaskCountsJSON(t *testing.T) {
	var c TaskCounts
	c.Add(ExecRunning)
	c.Add(ExecRunning)
	c.Add(ExecFinished)
	c.Add("NO_SUCH_STATE")
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, b, `{"created":0,"scheduled":0,"deploying":0,"running":2,"finished":1,"canceling":0,
		"canceled":0,"failed":0,"reconciling":0,"initializing":0,"total":3}`)
	var back TaskCounts
	if err := json.Unmarshal(b, &back); err != nil || back != c {
		t.Fatalf("round trip = %+v, %v", back, err)
	}

	b, err = json.Marshal(StatusCounts(c))
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, b, `{"CREATED":0,"SCHEDULED":0,"DEPLOYING":0,"RUNNING":2,"FINISHED":1,"CANCELING":0,
		"CANCELED":0,"FAILED":0,"RECONCILING":0,"INITIALIZING":0}`)
	var sc StatusCounts
	if err := json.Unmarshal(b, &sc); err != nil || TaskCounts(sc) != c {
		t.Fatalf("round trip = %+v, %v", sc, err)
	}
}

func TestAsyncOperationJSON(t *testing.T) {
	tests := []struct {
		in   AsyncOperation
		want string
	}{
		{AsyncOperation{Status: QueueStatus{OperationInProgress}}, `{"status":{"id":"IN_PROGRESS"},"operation":null}`},
		{AsyncOperation{Status: QueueStatus{OperationCompleted}, Operation: &SavepointInfo{Location: "file:///sp/1"}},
			`{"status":{"id":"COMPLETED"},"operation":{"location":"file:///sp/1"}}`},
		{AsyncOperation{Status: QueueStatus{OperationCompleted}, Operation: &SavepointInfo{FailureCause: &FailureCause{Class: "*errors.errorString", StackTrace: "boom"}}},
			`{"status":{"id":"COMPLETED"},"operation":{"failure-cause":{"class":"*errors.errorString","stack-trace":"boom"}}}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		jsonEq(t, b, tt.want)
	}
}

func TestParseSavepointFormat(t *testing.T) {
	for in, want := range map[string]SavepointFormat{"": FormatCanonical, "canonical": FormatCanonical, "NATIVE": FormatNative, " Native ": FormatNative} {
		if got, err := ParseSavepointFormat(in); err != nil || got != want {
			t.Errorf("ParseSavepointFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseSavepointFormat("incremental"); err == nil {
		t.Error("ParseSavepointFormat(incremental) succeeded")
	}
}

func TestMillis(t *testing.T) {
	if got := Millis(time.Time{}); got != -1 {
		t.Errorf("Millis(zero) = %d, want -1", got)
	}
	if got := Millis(time.UnixMilli(1234)); got != 1234 {
		t.Errorf("Millis = %d, want 1234", got)
	}
}
