//! The `x-chatctl-cargo-binary` build: front-end assets with npm on the host, then the
//! workspace binary compiled offline inside the builder image (same base as the runtime
//! image, so the same glibc), with the host's toolchain and crate registry mounted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::context::tar_context;
use crate::docker::{build_image, BuildRequest, Engine, OneOff};
use crate::error::{Error, Result};
use crate::host::{self, run_captured, TAIL_LINES};
use crate::images::ensure_base_images;
use crate::topology::spec::{ONEOFF_LABEL, PROJECT_LABEL, SERVICE_LABEL};
use crate::topology::Project;
use crate::ui::Ui;

/// The image that compiles workspace binaries.
pub const BUILDER_IMAGE: &str = "livechat-builder:latest";
/// Its Dockerfile, relative to the workspace root.
pub const BUILDER_DOCKERFILE: &str = "build/builder.Dockerfile";

/// Builds the front-end assets of `context` and compiles `package`; returns the path of
/// the release binary on the host.
pub async fn compile(
    engine: &Engine,
    project: &Project,
    service: &str,
    context: &Path,
    package: &str,
    ui: &Ui,
) -> Result<PathBuf> {
    if context.join("package.json").is_file() {
        let purpose = format!("build the front-end assets of {service}");
        host::npm(&["ci", "--no-audit", "--no-fund"], context, &purpose, ui).await?;
        host::npm(&["run", "build", "--if-present"], context, &purpose, ui).await?;
    }

    let workspace = workspace_root(context).ok_or_else(|| Error::ComposeInvalid {
        file: project.compose_file.display().to_string(),
        line: None,
        column: None,
        message: format!(
            "services.{service}.build.x-chatctl-cargo-binary: no Cargo workspace contains {}",
            context.display()
        ),
    })?;
    let cargo = host::require_tool("cargo", &format!("compile the {package} binary"))?;
    let rustc = host::require_tool("rustc", &format!("compile the {package} binary"))?;

    let step = ui.step("fetch crates (cargo fetch --locked)");
    let mut fetch = Command::new(&cargo);
    fetch.args(["fetch", "--locked"]).current_dir(&workspace);
    step.finish(
        run_captured("cargo fetch --locked", &mut fetch).await,
        |_| String::new(),
    )?;

    let mut print_sysroot = Command::new(&rustc);
    print_sysroot
        .args(["--print", "sysroot"])
        .current_dir(&workspace);
    let sysroot = run_captured("rustc --print sysroot", &mut print_sysroot).await?;
    let sysroot = sysroot.trim().to_string();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .ok_or_else(|| Error::ToolMissing {
            tool: "cargo (CARGO_HOME or HOME is unset)".to_string(),
            purpose: format!("compile the {package} binary"),
        })?;

    build_builder_image(engine, project, &workspace, ui).await?;

    let target = workspace.join("target/docker");
    std::fs::create_dir_all(&target).map_err(|e| Error::io("create directory", &target, e))?;
    let (uid, gid) = host::current_ids()?;
    let mut binds = vec![
        format!("{sysroot}:/opt/rust:ro"),
        format!("{}:/cargo/registry", cargo_home.join("registry").display()),
        format!("{}:/src:ro", workspace.display()),
        format!("{}:/target", target.display()),
    ];
    if cargo_home.join("git").is_dir() {
        binds.push(format!("{}:/cargo/git", cargo_home.join("git").display()));
    }
    let job = OneOff {
        name: format!("{}-{service}-build", project.name),
        image: BUILDER_IMAGE.to_string(),
        command: [
            "cargo",
            "build",
            "--release",
            "--locked",
            "--offline",
            "-p",
            package,
        ]
        .map(str::to_string)
        .to_vec(),
        env: [
            "CARGO_HOME=/cargo",
            "CARGO_TARGET_DIR=/target",
            "PATH=/opt/rust/bin:/usr/bin:/bin",
            "SQLX_OFFLINE=true",
            "CARGO_NET_OFFLINE=true",
        ]
        .map(str::to_string)
        .to_vec(),
        binds,
        // cargo writes lock files into CARGO_HOME itself; the registry is mounted below it.
        tmpfs: vec!["/cargo".to_string()],
        user: Some(format!("{uid}:{gid}")),
        working_dir: Some("/src".to_string()),
        labels: HashMap::from([
            (PROJECT_LABEL.to_string(), project.name.clone()),
            (SERVICE_LABEL.to_string(), service.to_string()),
            (ONEOFF_LABEL.to_string(), "True".to_string()),
        ]),
    };
    let step = ui.step(format!(
        "compile {package} (cargo build --release in {BUILDER_IMAGE})"
    ));
    let (code, output) = engine
        .run_oneoff(&job, &|line| step.detail(line.trim()))
        .await?;
    if code != 0 {
        step.fail();
        let skip = output.len().saturating_sub(TAIL_LINES);
        return Err(Error::CommandFailed {
            step: format!("cargo build --release -p {package} (in {BUILDER_IMAGE})"),
            status: format!("exit code {code}"),
            output: output[skip..].to_vec(),
        });
    }
    step.done("");
    Ok(target.join("release").join(package))
}

async fn build_builder_image(
    engine: &Engine,
    project: &Project,
    workspace: &Path,
    ui: &Ui,
) -> Result<()> {
    let dockerfile = workspace.join(BUILDER_DOCKERFILE);
    let text =
        std::fs::read_to_string(&dockerfile).map_err(|e| Error::io("read", &dockerfile, e))?;
    ensure_base_images(engine, &text, &dockerfile, ui).await?;
    // The context is that one file, so nothing else can invalidate the builder's cache.
    let staging = std::env::temp_dir().join(format!("chatctl-builder-{}", std::process::id()));
    std::fs::create_dir_all(&staging).map_err(|e| Error::io("create directory", &staging, e))?;
    let staged = staging.join("Dockerfile");
    let context = std::fs::write(&staged, &text)
        .map_err(|e| Error::io("write", &staged, e))
        .and_then(|()| tar_context(&staging, "Dockerfile", &[]));
    let _ = std::fs::remove_dir_all(&staging);
    let step = ui.step(format!("build image {BUILDER_IMAGE}"));
    let request = BuildRequest {
        tag: BUILDER_IMAGE,
        dockerfile: "Dockerfile",
        context: context?,
        log: &project.dir.join(".livechat/logs/build-builder.log"),
    };
    let result = build_image(engine, request, &step).await;
    step.finish(result, |id| crate::topology::plan::short_id(id).to_string())
        .map(|_| ())
}

/// The nearest directory at or above `start` whose Cargo.toml declares a `[workspace]`.
fn workspace_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|text| text.lines().any(|l| l.trim() == "[workspace]"))
        })
        .map(Path::to_path_buf)
}
