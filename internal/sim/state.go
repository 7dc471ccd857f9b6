package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"
)

// stateFile is the -state-file format: each cloud's own serialisation under
// its name, so either cloud can change its format without touching the other.
// It is private to the emulator, for restarts only: tools that want to know
// what the emulator holds or did read /_sim/state and /_sim/operations.
type stateFile struct {
	HCloud json.RawMessage `json:"hcloud,omitempty"`
	Azure  json.RawMessage `json:"azure,omitempty"`
}

// marshalState serialises both clouds into the state-file format.
func (s *Sim) marshalState() ([]byte, error) {
	var st stateFile
	var err error
	if st.HCloud, err = s.hcloud.MarshalState(); err != nil {
		return nil, fmt.Errorf("saving hcloud state: %w", err)
	}
	if st.Azure, err = s.azure.MarshalState(); err != nil {
		return nil, fmt.Errorf("saving azure state: %w", err)
	}
	return json.MarshalIndent(st, "", "  ")
}

// loadState restores both clouds from path. A missing file is a fresh start;
// an unreadable or invalid one is an error, because silently starting empty
// would make the next save overwrite what the user meant to keep.
func loadState(path string, hcloud, azure Cloud) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-state-file %s: %w", path, err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("-state-file %s: not a crosscloud-sim state file (%v); move it away or pass another path", path, err)
	}
	if isSet(st.HCloud) {
		if err := hcloud.UnmarshalState(st.HCloud); err != nil {
			return fmt.Errorf("-state-file %s: hcloud: %w", path, err)
		}
	}
	if isSet(st.Azure) {
		if err := azure.UnmarshalState(st.Azure); err != nil {
			return fmt.Errorf("-state-file %s: azure: %w", path, err)
		}
	}
	return nil
}

func isSet(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// persister writes the state file after changes. Writes are debounced so a
// burst of requests (an apply creates dozens of resources) costs one write,
// and skipped when the content did not change.
type persister struct {
	path    string
	delay   time.Duration
	marshal func() ([]byte, error)
	log     *slog.Logger

	started bool // set by start, before any request; read by stop
	kick    chan struct{}
	quit    chan struct{}
	done    chan struct{}

	mu   sync.Mutex // serialises saves and guards last
	last []byte
}

func newPersister(path string, delay time.Duration, marshal func() ([]byte, error), log *slog.Logger) *persister {
	if delay <= 0 {
		delay = 200 * time.Millisecond
	}
	return &persister{
		path: path, delay: delay, marshal: marshal, log: log,
		kick: make(chan struct{}, 1),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
}

func (p *persister) start() {
	p.started = true
	go p.loop()
}

// trigger asks for a save soon; it never blocks a request.
func (p *persister) trigger() {
	select {
	case p.kick <- struct{}{}:
	default: // a save is already pending and will include this change
	}
}

func (p *persister) loop() {
	defer close(p.done)
	for {
		select {
		case <-p.quit:
			return
		case <-p.kick:
		}
		t := time.NewTimer(p.delay)
		select {
		case <-p.quit:
			t.Stop()
			return
		case <-t.C:
		}
		if err := p.save(); err != nil {
			p.log.Error("saving the state file", "err", err)
		}
	}
}

// stop ends the background loop (if it was started) and saves one last time.
func (p *persister) stop() error {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	if p.started {
		<-p.done
	}
	return p.save()
}

func (p *persister) save() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	data, err := p.marshal()
	if err != nil {
		return fmt.Errorf("-state-file %s: %w", p.path, err)
	}
	if bytes.Equal(data, p.last) {
		return nil
	}
	if err := writeFileAtomic(p.path, data); err != nil {
		return fmt.Errorf("-state-file: %w", err)
	}
	p.last = data
	return nil
}
