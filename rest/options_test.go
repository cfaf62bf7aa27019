package rest

import (
	"errors"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/weirstream/weir/config"
)

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr string
	}{
		{in: "8081", want: []int{8081}},
		{in: "0", want: []int{0}},
		{in: "50100-50103", want: []int{50100, 50101, 50102, 50103}},
		{in: " 50100 , 50102-50103", want: []int{50100, 50102, 50103}},
		{in: "5-5", want: []int{5}},
		{in: "", wantErr: "is not a port"},
		{in: "http", wantErr: "is not a port"},
		{in: "65536", wantErr: "is not a port"},
		{in: "-1", wantErr: "is not a port"},
		{in: "50200-50100", wantErr: "ends before it starts"},
		{in: "1-65535,1-65535", wantErr: "more than"},
	}
	for _, tt := range tests {
		got, err := ParsePortRange(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePortRange(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParsePortRange(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParsePortRange(f *testing.F) {
	for _, s := range []string{"8081", "1-3", "1,2,3", "9-1", "", ",", "1-", "-", "0-65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ports, err := ParsePortRange(s)
		if err != nil {
			return
		}
		if len(ports) == 0 {
			t.Fatalf("ParsePortRange(%q) returned no ports and no error", s)
		}
		for _, p := range ports {
			if p < 0 || p > 65535 {
				t.Fatalf("ParsePortRange(%q) returned port %d", s, p)
			}
		}
	})
}

func TestOptionsValidate(t *testing.T) {
	conf := config.New()
	for key, bad := range map[string]string{
		"rest.port":                 "70000",
		"rest.bind-port":            "80-70",
		"rest.async.store-duration": "0",
	} {
		if err := conf.Set(key, bad); !errors.Is(err, config.ErrBadValue) {
			t.Errorf("Set(%s, %s) error = %v, want ErrBadValue", key, bad, err)
		}
	}
	if err := conf.Set("rest.bind-port", "50100-50200"); err != nil {
		t.Fatal(err)
	}
}

func TestListen(t *testing.T) {
	t.Run("port 0 picks a free port on the bind address", func(t *testing.T) {
		conf := config.New()
		config.SetValue(conf, Port, 0)
		config.SetValue(conf, BindAddress, "127.0.0.1")
		ln, err := Listen(conf)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addr := ln.Addr().(*net.TCPAddr)
		if !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) || addr.Port == 0 {
			t.Fatalf("listening on %s", addr)
		}
	})

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	t.Run("busy port says how to choose another", func(t *testing.T) {
		conf := config.New()
		config.SetValue(conf, Port, busyPort)
		config.SetValue(conf, BindAddress, "127.0.0.1")
		ln, err := Listen(conf)
		if err == nil {
			ln.Close()
			t.Fatal("Listen on a busy port succeeded")
		}
		for _, want := range []string{"rest.port", "rest.bind-port", "another process"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})

	t.Run("bind-port list skips a busy port", func(t *testing.T) {
		conf := config.New()
		config.SetValue(conf, BindAddress, "127.0.0.1")
		if err := conf.Set("rest.bind-port", strconv.Itoa(busyPort)+",0"); err != nil {
			t.Fatal(err)
		}
		ln, err := Listen(conf)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if p := ln.Addr().(*net.TCPAddr).Port; p == busyPort || p == 0 {
			t.Fatalf("listening on port %d", p)
		}
	})
}
