// Command keyring answers, for each docker-config server key on stdin (a
// JSON list of strings), the key the kubelet files it under, using the
// kubelet's own code (k8s.io/kubernetes/pkg/credentialprovider), or null
// when the kubelet ignores the entry. The e2e suite compares it with the
// component's kubeletKey (components/registryKey.ts).
package main

import (
	"encoding/json"
	"os"
	"reflect"

	"k8s.io/kubernetes/pkg/credentialprovider"
)

func main() {
	var servers []string
	if err := json.NewDecoder(os.Stdin).Decode(&servers); err != nil {
		panic(err)
	}
	keys := make([]*string, len(servers))
	for i, server := range servers {
		keyring := &credentialprovider.BasicDockerKeyring{}
		keyring.Add(nil, credentialprovider.DockerConfig{server: {Username: "u", Password: "p"}})
		// The keyring keeps its keys in an unexported index; reflection may read it.
		index := reflect.ValueOf(keyring).Elem().FieldByName("index")
		if index.Len() == 1 {
			key := index.Index(0).String()
			keys[i] = &key
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(keys); err != nil {
		panic(err)
	}
}
