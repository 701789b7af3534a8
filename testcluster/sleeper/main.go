// Command sleeper is the local test cluster's only container image: its
// node's sandbox (pause) image and the app image of every test Pod. It
// sleeps until it is told to stop, as a pause container does, and is a static
// binary of about 1.5 MB, so an image of it pushes and pulls in milliseconds.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
