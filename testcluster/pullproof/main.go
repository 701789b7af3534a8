// Command pullproof is the e2e suite's registry side of the pull proof
// (test/e2e/pull.e2e.ts): a real OCI registry, a client that pushes and
// pulls, and the kubelet's own credential lookup, in one small binary built
// from this folder's go.mod (the pins) into the cache.
//
//	pullproof serve -dir DIR -user U -password P    a registry on 127.0.0.1 with htpasswd (Basic) auth and TLS;
//	                                                 prints {"address","ca"} once it listens, then serves until killed
//	pullproof serve -dir DIR -anonymous              the same without auth: anyone may pull and push
//	pullproof passwd -dir DIR -user U                the serving registry's one user gets the password on stdin
//	                                                 ({username,password}); the old one is refused from then on
//	pullproof push -image REF -ca FILE [-binary F]   pushes a small random image, or a runnable one of the static
//	                                                 binary F; login {username,password} (null: anonymous) on stdin
//	pullproof resolve -image REF                     the credentials the kubelet picks for REF from the Secret on stdin
//	pullproof pull-manifest -image REF -ca FILE      pulls REF's manifest with the login on stdin (null: anonymous)
//	pullproof match                                  which servers' entries the kubelet uses for each image
//
// Logins travel on stdin, not in arguments, so that they never show in ps.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1image "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/crypto/bcrypt"
	v1 "k8s.io/api/core/v1"
	"k8s.io/kubernetes/pkg/credentialprovider"
	"k8s.io/kubernetes/pkg/credentialprovider/secrets"

	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// login is a username and password, as stdin carries them.
type login struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: pullproof serve|passwd|push|resolve|pull-manifest|match [flags]")
	}
	flags := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := flags.String("dir", "", "serve: the folder for the certificate and htpasswd file")
	user := flags.String("user", "", "serve: the one user the registry accepts")
	password := flags.String("password", "", "serve: that user's password")
	image := flags.String("image", "", "the image reference")
	ca := flags.String("ca", "", "the registry's certificate, to trust")
	anonymous := flags.Bool("anonymous", false, "serve: no auth at all")
	binary := flags.String("binary", "", "push: the static binary the image runs")
	_ = flags.Parse(os.Args[2:])

	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(*dir, *user, *password, *anonymous)
	case "passwd":
		err = writeHtpasswd(*dir, *user, readLogin().Password)
	case "push":
		err = push(*image, *ca, *binary, readLogin())
	case "resolve":
		err = resolve(*image)
	case "pull-manifest":
		err = pullManifest(*image, *ca, readLogin())
	case "match":
		err = match()
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(1)
}

func readLogin() *login {
	var l *login
	if err := json.NewDecoder(os.Stdin).Decode(&l); err != nil {
		fail(fmt.Sprintf("reading the login on stdin: %v", err))
	}
	return l
}

func printJSON(value any) error {
	return json.NewEncoder(os.Stdout).Encode(value)
}

// serve runs distribution's registry application (in memory, htpasswd auth
// unless anonymous) behind a TLS listener of our own on a free loopback port,
// so that the caller learns the port only once the registry can answer.
func serve(dir, user, password string, anonymous bool) error {
	authConfig := ""
	if !anonymous {
		if dir == "" || user == "" || password == "" {
			return fmt.Errorf("serve needs -dir, -user and -password, or -dir and -anonymous")
		}
		if err := writeHtpasswd(dir, user, password); err != nil {
			return err
		}
		authConfig = fmt.Sprintf("auth:\n  htpasswd:\n    realm: pullproof\n    path: %s\n", strconv.Quote(filepath.Join(dir, "htpasswd")))
	} else if dir == "" {
		return fmt.Errorf("serve needs -dir")
	}
	certificate, caFile, err := selfSigned(dir)
	if err != nil {
		return err
	}
	config, err := configuration.Parse(strings.NewReader(fmt.Sprintf(`
version: 0.1
storage:
  inmemory: {}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
%s`, authConfig)))
	if err != nil {
		return err
	}
	app := handlers.NewApp(context.Background(), config)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	tlsListener := tls.NewListener(listener, &tls.Config{Certificates: []tls.Certificate{certificate}, MinVersion: tls.VersionTLS12})
	if err := printJSON(map[string]string{"address": listener.Addr().String(), "ca": caFile}); err != nil {
		return err
	}
	return http.Serve(tlsListener, app)
}

// writeHtpasswd gives the registry's one user a password. Distribution reads
// the file again whenever its modification time changes, so a running
// registry refuses the old password from the next request on; the file is
// replaced by a rename, so no request ever reads half of it.
func writeHtpasswd(dir, user, password string) error {
	if dir == "" || user == "" || password == "" {
		return fmt.Errorf("a password needs -dir, -user and a password")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	file := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(file+".new", []byte(fmt.Sprintf("%s:%s\n", user, hash)), 0o600); err != nil {
		return err
	}
	return os.Rename(file+".new", file)
}

// selfSigned makes a certificate for 127.0.0.1 that is its own CA, and
// writes it where clients can trust it.
func selfSigned(dir string) (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "pullproof registry"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, "", err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile, nil
}

// remoteImage is an image reference and go-containerregistry's remote
// client options for it: the login, trusting the registry's certificate.
func remoteImage(image, caFile string, l *login) (name.Reference, []remote.Option, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return nil, nil, err
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("%s holds no certificate", caFile)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: pool}
	auth := authn.Anonymous
	if l != nil {
		auth = authn.FromConfig(authn.AuthConfig{Username: l.Username, Password: l.Password})
	}
	return ref, []remote.Option{remote.WithTransport(transport), remote.WithAuth(auth)}, nil
}

func push(image, caFile, binary string, l *login) error {
	ref, options, err := remoteImage(image, caFile, l)
	if err != nil {
		return err
	}
	var img v1image.Image
	if binary == "" {
		img, err = random.Image(512, 1)
	} else {
		img, err = runnableImage(binary)
	}
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img, options...); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	return printJSON(map[string]string{"digest": digest.String()})
}

// runnableImage is an image of one layer, the static binary at /<its name>,
// which is also its entrypoint: what a node needs to run a container.
func runnableImage(binary string) (v1image.Image, error) {
	content, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	entry := filepath.Base(binary)
	var layerTar bytes.Buffer
	writer := tar.NewWriter(&layerTar)
	if err := writer.WriteHeader(&tar.Header{Name: entry, Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := writer.Write(content); err != nil {
		return nil, err
	}
	if err := writer.Close(); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar.Bytes())), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	config, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	config = config.DeepCopy()
	config.OS = "linux"
	config.Architecture = runtime.GOARCH
	config.Config.Entrypoint = []string{"/" + entry}
	return mutate.ConfigFile(img, config)
}

// resolve builds the kubelet's keyring from the Secret exactly as the API
// server returned it (k8s.io/kubernetes pkg/credentialprovider/secrets, as
// the kubelet does for a Pod's imagePullSecrets) and looks the image up.
func resolve(image string) error {
	var secret v1.Secret
	if err := json.NewDecoder(os.Stdin).Decode(&secret); err != nil {
		return fmt.Errorf("reading the Secret on stdin: %v", err)
	}
	// The kubelet unions the Secrets' keyring with its credential providers'; here there are none.
	keyring, err := secrets.MakeDockerKeyring([]v1.Secret{secret}, &credentialprovider.BasicDockerKeyring{})
	if err != nil {
		return err
	}
	found, ok := keyring.Lookup(image)
	logins := []login{}
	for _, creds := range found {
		logins = append(logins, login{Username: creds.Username, Password: creds.Password})
	}
	return printJSON(map[string]any{"found": ok, "logins": logins})
}

func pullManifest(image, caFile string, l *login) error {
	ref, options, err := remoteImage(image, caFile, l)
	if err != nil {
		return err
	}
	descriptor, err := remote.Get(ref, options...)
	if err != nil {
		return err
	}
	return printJSON(map[string]string{"digest": descriptor.Digest.String(), "mediaType": string(descriptor.MediaType)})
}

// match answers, for each image, the indexes of the servers whose entries
// the kubelet's keyring returns for it, all servers filed in one keyring in
// order (each under a user name that is its index).
func match() error {
	var input struct {
		Servers []string `json:"servers"`
		Images  []string `json:"images"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		return err
	}
	keyring := &credentialprovider.BasicDockerKeyring{}
	for i, server := range input.Servers {
		keyring.Add(nil, credentialprovider.DockerConfig{server: {Username: strconv.Itoa(i), Password: "p"}})
	}
	matches := make([][]int, len(input.Images))
	for i, image := range input.Images {
		found, _ := keyring.Lookup(image)
		matches[i] = []int{}
		for _, creds := range found {
			index, _ := strconv.Atoi(creds.Username)
			matches[i] = append(matches[i], index)
		}
	}
	return printJSON(matches)
}
