# kubeward: a static, non-root image.
#   docker build -t ghcr.io/kubeward/kubeward:dev --build-arg VERSION=v0.1.0 .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd/ cmd/
COPY internal/ internal/
ARG VERSION=dev
ARG COMMIT=unknown
# CGO off: a fully static binary that runs on a scratch-like base.
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/kubeward/kubeward/internal/buildinfo.version=${VERSION} -X github.com/kubeward/kubeward/internal/buildinfo.commit=${COMMIT}" \
      -o /out/kubeward ./cmd/kubeward

# distroless/static: CA certificates, /etc/passwd with the nonroot user,
# no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kubeward /kubeward
# Numeric, so that runAsNonRoot can be verified by the kubelet.
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/kubeward"]
