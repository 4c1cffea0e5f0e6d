//! Building the images of services that have a `build:` section, one step per image.

use std::path::Path;

use serde::Serialize;

use crate::cargo_binary;
use crate::context::{base_images, tar_context, ExtraFile};
use crate::docker::{build_image, BuildRequest, Engine};
use crate::error::{Error, Result};
use crate::topology::plan::short_id;
use crate::topology::{Project, Service};
use crate::ui::Ui;

/// An image `build` produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuiltImage {
    /// The service it belongs to.
    pub service: String,
    /// Its tag.
    pub image: String,
    /// Its id (`sha256:…`).
    pub id: String,
}

/// Builds the images of the named services (all buildable ones when `only` is empty),
/// in start order.
pub async fn build_services(
    engine: &Engine,
    project: &Project,
    only: &[String],
    ui: &Ui,
) -> Result<Vec<BuiltImage>> {
    for name in only {
        if project.service(name).is_none() {
            return Err(Error::UnknownService {
                service: name.clone(),
                known: project.services.iter().map(|s| s.name.clone()).collect(),
            });
        }
    }
    let mut built = Vec::new();
    for service in &project.services {
        if service.build.is_some() && (only.is_empty() || only.contains(&service.name)) {
            built.push(build_service(engine, project, service, ui).await?);
        }
    }
    Ok(built)
}

async fn build_service(
    engine: &Engine,
    project: &Project,
    service: &Service,
    ui: &Ui,
) -> Result<BuiltImage> {
    let Some(build) = &service.build else {
        return Err(Error::UnknownService {
            service: service.name.clone(),
            known: vec![],
        });
    };
    let dockerfile = build.context.join(&build.dockerfile);
    let text =
        std::fs::read_to_string(&dockerfile).map_err(|e| Error::io("read", &dockerfile, e))?;
    ensure_base_images(engine, &text, &dockerfile, ui).await?;

    let mut extra = Vec::new();
    if let Some(package) = &build.cargo_binary {
        let binary =
            cargo_binary::compile(engine, project, &service.name, &build.context, package, ui)
                .await?;
        extra.push(ExtraFile {
            name: package.clone(),
            source: binary,
            mode: 0o755,
        });
    }
    let step = ui.step(format!("build image {} ({})", service.image, service.name));
    let context = match tar_context(&build.context, &build.dockerfile, &extra) {
        Ok(context) => context,
        Err(error) => return step.finish(Err(error), |_: &BuiltImage| String::new()),
    };
    let request = BuildRequest {
        tag: &service.image,
        dockerfile: &build.dockerfile,
        context,
        log: &project
            .dir
            .join(format!(".livechat/logs/build-{}.log", service.name)),
    };
    let result = build_image(engine, request, &step).await;
    let id = step.finish(result, |id| short_id(id).to_string());
    Ok(BuiltImage {
        service: service.name.clone(),
        image: service.image.clone(),
        id: id?,
    })
}

/// Makes sure every `FROM` image is present locally, pulling a missing one as `docker
/// build` would; where no registry answers (an offline host), fails with
/// [`Error::BaseImageMissing`] and the pull's reason instead of a build-time timeout.
pub async fn ensure_base_images(
    engine: &Engine,
    dockerfile_text: &str,
    dockerfile: &Path,
    ui: &Ui,
) -> Result<()> {
    for image in base_images(dockerfile_text) {
        if engine.image_id(&image).await?.is_some() {
            continue;
        }
        let step = ui.step(format!("pull base image {image}"));
        let pulled = engine
            .pull_image(&image)
            .await
            .map_err(|reason| Error::BaseImageMissing {
                image: image.clone(),
                dockerfile: dockerfile.to_path_buf(),
                reason,
            });
        step.finish(pulled, |()| String::new())?;
    }
    Ok(())
}
