#!/bin/sh
# Builds a Go program or plugin of a case, offline: go build -o OUTPUT ARGS... run in SOURCE_DIR,
# with the module proxy off (the modules a case needs are local directories with replace
# directives), cgo on (plugin.Open needs it), and GOCACHE and GOPATH in the build tree; and
# -buildvcs=false: the cases are not versioned on their own, and a host stamped with the revision
# of the tree it was built in would show it in the walkthroughs (and a tree without .git differs).
# --no-cgo (first after OUTPUT) builds with CGO_ENABLED=0, as a host that cannot open plugins.
# Usage: go_build.sh GO CACHE_DIR SOURCE_DIR OUTPUT [--no-cgo] [go build arguments...]
set -eu
go=$1 cache=$2 source=$3 output=$4
shift 4
cgo=1
if [ "${1-}" = --no-cgo ]; then
  cgo=0
  shift
fi
case $output in /*) ;; *) output=$PWD/$output ;; esac
mkdir -p "$cache"
export GOCACHE="$cache/build" GOPATH="$cache/gopath" GOPROXY=off GOFLAGS= GO111MODULE=on \
  GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=$cgo GONOSUMDB= GOFLAGS=
cd "$source"
exec "$go" build -buildvcs=false -o "$output" "$@"
