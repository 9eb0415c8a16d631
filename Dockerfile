# s3logs in a container: the static binary on distroless (CA certificates
# and time zones, no shell, a non-root user).
#
#   docker build -t s3logs .
#   docker run --rm -v "$HOME/.aws:/home/nonroot/.aws:ro" s3logs query "SELECT count(*) FROM logs" s3://my-log-bucket/logs/
#
# The binary is built by .ci/build.sh, the same script as the release
# archives; .ci/run checks that it builds static.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN bash .ci/build.sh /out/s3logs

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/s3logs /usr/local/bin/s3logs
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/s3logs"]
