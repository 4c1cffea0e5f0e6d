# The toolchain image that compiles the chat binary against the runtime base's glibc.
# It has no Rust of its own: chatctl mounts the host's toolchain, cargo registry and
# the workspace, and builds offline (no registry is reachable from a container).
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
