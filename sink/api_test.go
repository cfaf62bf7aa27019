package sink_test

import (
	"testing"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/sink"
)

type plainInit struct{}

func (plainInit) SubtaskIndex() int             { return 0 }
func (plainInit) Parallelism() int              { return 1 }
func (plainInit) AttemptNumber() int            { return 0 }
func (plainInit) Config() *config.Configuration { return nil }
func (plainInit) Now() int64                    { return 0 }

type restoredInit struct {
	plainInit
	id int64
	ok bool
}

func (r restoredInit) RestoredCheckpointID() (int64, bool) { return r.id, r.ok }

func TestRestoredCheckpointID(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ctx    sink.InitContext
		id     int64
		wantOK bool
	}{
		{"context that does not say", plainInit{}, 0, false},
		{"fresh start", restoredInit{ok: false}, 0, false},
		{"restored", restoredInit{id: 7, ok: true}, 7, true},
	} {
		if id, ok := sink.RestoredCheckpointID(tc.ctx); id != tc.id || ok != tc.wantOK {
			t.Errorf("%s: RestoredCheckpointID = %d, %v; want %d, %v", tc.name, id, ok, tc.id, tc.wantOK)
		}
	}
}
