//! Docker build contexts: `.dockerignore` matching and the tar body sent to the engine.

use std::fs;
use std::path::{Path, PathBuf};

use tar::{EntryType, Header};

use crate::error::{Error, Result};

/// The rules of a `.dockerignore` file: root-relative names and directories, `*`, `?`
/// and `**` globs, `#` comments and `!` re-inclusion; the last matching rule wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreRules {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    include: bool,
    components: Vec<String>,
}

impl IgnoreRules {
    /// Parses the text of a `.dockerignore` file.
    pub fn parse(text: &str) -> IgnoreRules {
        let rules = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let (include, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                let components: Vec<String> = pattern
                    .split('/')
                    .filter(|c| !c.is_empty() && *c != ".")
                    .map(str::to_string)
                    .collect();
                (!components.is_empty()).then_some(Rule {
                    include,
                    components,
                })
            })
            .collect();
        IgnoreRules { rules }
    }

    /// Reads `<dir>/.dockerignore`; no file means nothing is ignored.
    pub fn read(dir: &Path) -> Result<IgnoreRules> {
        let path = dir.join(".dockerignore");
        match fs::read_to_string(&path) {
            Ok(text) => Ok(IgnoreRules::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IgnoreRules::default()),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    /// Whether the context-relative path (with `/` separators) is left out. A rule that
    /// matches a directory leaves out everything below it.
    pub fn is_ignored(&self, relative: &str) -> bool {
        let path: Vec<&str> = relative.split('/').filter(|c| !c.is_empty()).collect();
        let mut ignored = false;
        for rule in &self.rules {
            let matches =
                (1..=path.len()).any(|length| match_components(&rule.components, &path[..length]));
            if matches {
                ignored = !rule.include;
            }
        }
        ignored
    }

    fn has_inclusions(&self) -> bool {
        self.rules.iter().any(|rule| rule.include)
    }
}

fn match_components(pattern: &[String], path: &[&str]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(first), _) if first == "**" => {
            (0..=path.len()).any(|skip| match_components(&pattern[1..], &path[skip..]))
        }
        (Some(first), Some(component)) => {
            glob(first, component) && match_components(&pattern[1..], &path[1..])
        }
        _ => false,
    }
}

/// Matches one path component against a pattern with `*` and `?`.
fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, matched)) => {
                    p = star + 1;
                    t = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// A host file added to a context that does not come from the context directory (the
/// compiled binary); it replaces a context file of the same name.
#[derive(Debug, Clone)]
pub struct ExtraFile {
    /// Name inside the context (`chat`).
    pub name: String,
    /// The host file whose bytes it gets.
    pub source: PathBuf,
    /// Unix mode in the tar (0o755 for binaries).
    pub mode: u32,
}

/// Tars `dir` (honouring its `.dockerignore`; the Dockerfile and `.dockerignore` are
/// always sent, as the Docker CLI does), plus `extra` files. Entries are sorted and owned by root so equal inputs give equal tars.
pub fn tar_context(dir: &Path, dockerfile: &str, extra: &[ExtraFile]) -> Result<Vec<u8>> {
    let rules = IgnoreRules::read(dir)?;
    let mut files = Vec::new();
    collect(dir, "", &rules, &mut files)?;
    for always in [dockerfile, ".dockerignore"] {
        if dir.join(always).is_file() && !files.iter().any(|f| f == always) {
            files.push(always.to_string());
        }
    }
    files.retain(|file| !extra.iter().any(|e| &e.name == file));
    files.sort();
    let mut builder = tar::Builder::new(Vec::new());
    for relative in &files {
        let path = dir.join(relative);
        let metadata = fs::symlink_metadata(&path).map_err(|e| Error::io("read", &path, e))?;
        let mut header = Header::new_gnu();
        header.set_metadata_in_mode(&metadata, tar::HeaderMode::Complete);
        header.set_uid(0);
        header.set_gid(0);
        let appended = if metadata.file_type().is_symlink() {
            let target = fs::read_link(&path).map_err(|e| Error::io("read link", &path, e))?;
            header.set_entry_type(EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, relative, target)
        } else if metadata.is_dir() {
            builder.append_data(&mut header, relative, std::io::empty())
        } else {
            let file = fs::File::open(&path).map_err(|e| Error::io("read", &path, e))?;
            builder.append_data(&mut header, relative, file)
        };
        appended.map_err(|e| Error::io("add to the build context", &path, e))?;
    }
    for file in extra {
        let mut header = Header::new_gnu();
        let source = &file.source;
        let metadata = fs::metadata(source).map_err(|e| Error::io("read", source, e))?;
        header.set_metadata_in_mode(&metadata, tar::HeaderMode::Complete);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mode(file.mode);
        let content = fs::File::open(source).map_err(|e| Error::io("read", source, e))?;
        let appended = builder.append_data(&mut header, &file.name, content);
        appended.map_err(|e| Error::io("add to the build context", dir.join(&file.name), e))?;
    }
    builder
        .into_inner()
        .map_err(|e| Error::io("write the build context of", dir, e))
}

/// Collects context-relative paths of files, directories and symlinks under `dir`.
fn collect(root: &Path, relative: &str, rules: &IgnoreRules, out: &mut Vec<String>) -> Result<()> {
    let dir = root.join(relative);
    let entries = fs::read_dir(&dir).map_err(|e| Error::io("read", &dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read", &dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        let file_type = entry
            .file_type()
            .map_err(|e| Error::io("read", entry.path(), e))?;
        let ignored = rules.is_ignored(&path);
        if file_type.is_dir() {
            // An ignored directory can still hold re-included files (`!dir/keep`).
            if ignored && !rules.has_inclusions() {
                continue;
            }
            if !ignored {
                out.push(path.clone());
            }
            collect(root, &path, rules, out)?;
        } else if !ignored {
            out.push(path);
        }
    }
    Ok(())
}

/// The images a Dockerfile builds `FROM`, excluding earlier stages and `scratch`.
pub fn base_images(dockerfile: &str) -> Vec<String> {
    let mut stages: Vec<String> = Vec::new();
    let mut images = Vec::new();
    for line in dockerfile.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("FROM")) {
            continue;
        }
        let rest: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
        let Some(image) = rest.first() else { continue };
        if *image != "scratch"
            && !stages.iter().any(|s| s == image)
            && !images.iter().any(|i| i == image)
        {
            images.push(image.to_string());
        }
        if let [_, keyword, name] = rest.as_slice() {
            if keyword.eq_ignore_ascii_case("AS") {
                stages.push(name.to_string());
            }
        }
    }
    images
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_rules() {
        let chat = IgnoreRules::parse(include_str!("../../chat/.dockerignore"));
        let cases: &[(&IgnoreRules, &str, bool)] = &[
            (&chat, "src", true),
            (&chat, "src/main.rs", true),
            (&chat, "node_modules/socket.io-client/dist/x.js", true),
            (&chat, "Cargo.toml", true),
            (&chat, "package-lock.json", true),
            (&chat, "Dockerfile", false),
            (&chat, "static/app.css", false),
            (&chat, "static/src", false),
            (&chat, "chat", false),
        ];
        for (rules, path, expected) in cases {
            assert_eq!(rules.is_ignored(path), *expected, "{path}");
        }

        let globs =
            IgnoreRules::parse("*.log\n/build/\ndocs/*.md\n**/tmp\n!docs/KEEP.md\n# comment\n");
        let cases: &[(&str, bool)] = &[
            ("debug.log", true),
            ("nested/debug.log", false),
            ("build/out.o", true),
            ("docs/a.md", true),
            ("docs/KEEP.md", false),
            ("docs/sub/a.md", false),
            ("a/b/tmp/x", true),
            ("tmp", true),
            ("src/main.rs", false),
        ];
        for (path, expected) in cases {
            assert_eq!(globs.is_ignored(path), *expected, "{path}");
        }
    }

    #[test]
    fn globs() {
        let cases = [
            ("*", "anything", true),
            ("*.rs", "main.rs", true),
            ("*.rs", "main.rsx", false),
            ("m?in", "main", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("exact", "exact", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob(pattern, text), expected, "{pattern} vs {text}");
        }
    }

    #[test]
    fn from_lines() {
        let dockerfile = "FROM debian:bookworm-slim AS build\nRUN x\nfrom --platform=linux/amd64 build AS final\nFROM scratch\nFROM nginx:1\n";
        assert_eq!(base_images(dockerfile), ["debian:bookworm-slim", "nginx:1"]);
    }

    #[test]
    fn tars_context_with_ignore_and_extra_file() {
        let root = std::env::temp_dir().join(format!(
            "chatctl-context-{}",
            crate::secrets::random_token(8).unwrap()
        ));
        fs::create_dir_all(root.join("src")).unwrap();
        fs::create_dir_all(root.join("static")).unwrap();
        fs::write(root.join("Dockerfile"), "FROM debian:bookworm-slim\n").unwrap();
        fs::write(root.join(".dockerignore"), "src\nDockerfile\n").unwrap();
        fs::write(root.join("src/main.rs"), "fn main() {}").unwrap();
        fs::write(root.join("static/app.js"), "1").unwrap();
        let binary = root.join("binary");
        fs::write(&binary, "ELF").unwrap();
        let extra = [ExtraFile {
            name: "chat".into(),
            source: binary,
            mode: 0o755,
        }];
        let tar = tar_context(&root, "Dockerfile", &extra).unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                )
            })
            .collect();
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                ".dockerignore",
                "Dockerfile",
                "binary",
                "static",
                "static/app.js",
                "chat"
            ]
        );
        assert_eq!(entries[5].1, 0o755, "the binary is executable");
        fs::remove_dir_all(root).unwrap();
    }
}
