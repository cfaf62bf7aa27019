package rest

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/weirstream/weir/config"
)

// The REST options keep Flink's keys: rest.address is where clients
// connect, rest.bind-address and rest.bind-port where the server listens.
var (
	Port = config.Int("rest.port", 8081,
		"Port of the REST API. Clients (weir list, cancel, savepoint, stop) connect to it, and the server "+
			"listens on it unless rest.bind-port is set. 0 lets the server pick a free port (it is logged).").
		WithValidator(validPort)

	Address = config.String("rest.address", "",
		"Host clients connect to for the REST API (weir list, cancel, savepoint, stop read it from "+
			"$WEIR_CONF_DIR/config.yaml when -m is not given). Empty means localhost. "+
			"The server does not bind to it: see rest.bind-address.")

	BindAddress = config.String("rest.bind-address", "localhost",
		"Address the REST server listens on. The default only accepts connections from this machine, "+
			"because the API can cancel and stop jobs; set 0.0.0.0 to listen on every interface "+
			"(for example inside a container).")

	BindPort = config.String("rest.bind-port", "",
		"Port or ports the REST server listens on: a port (\"8081\"), a range (\"50100-50200\") or a list "+
			"(\"50100,50101\"); the first free one is used, so several jobs on one machine do not collide. "+
			"Empty uses rest.port.").
		WithValidator(func(s string) error {
			if s == "" {
				return nil
			}
			_, err := ParsePortRange(s)
			return err
		})

	AsyncStoreDuration = config.Duration("rest.async.store-duration", 5*time.Minute,
		"How long the result of a completed asynchronous operation (a savepoint, a stop-with-savepoint) "+
			"can still be queried by its trigger id.").
		WithValidator(func(d time.Duration) error {
			if d <= 0 {
				return errors.New("must be positive")
			}
			return nil
		})
)

func validPort(p int) error {
	if p < 0 || p > 65535 {
		return errors.New("must be between 0 and 65535")
	}
	return nil
}

// ParsePortRange parses a rest.bind-port value: a port, a range "lo-hi", or
// a comma-separated list of either. It returns the ports in order.
func ParsePortRange(s string) ([]int, error) {
	const maxPorts = 1 << 16
	var ports []int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		from, err := parsePort(lo)
		if err != nil {
			return nil, err
		}
		to := from
		if isRange {
			if to, err = parsePort(hi); err != nil {
				return nil, err
			}
			if to < from {
				return nil, fmt.Errorf("port range %q ends before it starts", part)
			}
		}
		if len(ports)+to-from+1 > maxPorts {
			return nil, fmt.Errorf("port list %q names more than %d ports", s, maxPorts)
		}
		for p := from; p <= to; p++ {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	p, err := strconv.Atoi(s)
	if err != nil || validPort(p) != nil {
		return 0, fmt.Errorf("%q is not a port (0-65535); write a port, a range such as 50100-50200, or a comma-separated list", s)
	}
	return p, nil
}

// Listen opens the REST server's listener as conf says: on rest.bind-address,
// at the first free port of rest.bind-port, or at rest.port when
// rest.bind-port is empty.
func Listen(conf *config.Configuration) (net.Listener, error) {
	host := config.Get(conf, BindAddress)
	ports := []int{config.Get(conf, Port)}
	if bp := config.Get(conf, BindPort); bp != "" {
		var err error
		if ports, err = ParsePortRange(bp); err != nil { // unreachable: validated when set
			return nil, fmt.Errorf("rest: %s: %w", BindPort.Key(), err)
		}
	}
	var lastErr error
	for _, p := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return ln, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	if errors.Is(lastErr, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("rest: cannot listen for the REST API: %w; another process (perhaps another job) uses the port: "+
			"set -D %s=<port>, -D %s=0 for any free port, or -D %s=<from>-<to> for the first free port of a range",
			lastErr, Port.Key(), Port.Key(), BindPort.Key())
	}
	return nil, fmt.Errorf("rest: cannot listen for the REST API: %w; check %s and %s", lastErr, BindAddress.Key(), Port.Key())
}
