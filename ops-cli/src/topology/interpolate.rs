//! Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}` and the `$$` escape.

/// Expands every variable reference in `input`, looking names up with `lookup`.
///
/// Unset variables without a default expand to the empty string, as in compose. Defaults
/// and alternatives are themselves interpolated, so `${A:-${B}}` works. The error is a
/// sentence suitable after a compose path (`services.x.image: …`).
pub fn interpolate(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let invalid =
        || format!("invalid interpolation format in {input:?} (write a literal `$` as `$$`)");
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(braced) = after.strip_prefix('{') {
            let close = closing_brace(braced).ok_or_else(invalid)?;
            out.push_str(
                &expand_braced(&braced[..close], lookup).map_err(|e| e.unwrap_or_else(invalid))?,
            );
            rest = &braced[close + 1..];
        } else {
            let length = name_length(after);
            if length == 0 {
                return Err(invalid());
            }
            out.push_str(&lookup(&after[..length]).unwrap_or_default());
            rest = &after[length..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Length of the variable name at the start of `text` (`[A-Za-z_][A-Za-z0-9_]*`).
fn name_length(text: &str) -> usize {
    let mut length = 0;
    for (index, byte) in text.bytes().enumerate() {
        let valid =
            byte == b'_' || byte.is_ascii_alphabetic() || (index > 0 && byte.is_ascii_digit());
        if !valid {
            break;
        }
        length = index + 1;
    }
    length
}

/// Index of the `}` closing a `${`, counting nested braces from defaults like `${A:-${B}}`.
fn closing_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, byte) in text.bytes().enumerate() {
        match byte {
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(index),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Expands the inside of `${…}`. `Err(None)` means a malformed expression.
fn expand_braced(
    body: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Option<String>> {
    let length = name_length(body);
    if length == 0 {
        return Err(None);
    }
    let name = &body[..length];
    let operator = &body[length..];
    let value = lookup(name);
    let is_set = value.is_some();
    let is_non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
    let nested = |text: &str| interpolate(text, lookup).map_err(Some);
    if operator.is_empty() {
        return Ok(value.unwrap_or_default());
    }
    let split = if operator.starts_with(':') { 2 } else { 1 };
    let (Some(operator_name), Some(argument)) = (operator.get(..split), operator.get(split..))
    else {
        return Err(None);
    };
    match operator_name {
        ":-" if is_non_empty => Ok(value.unwrap_or_default()),
        ":-" => nested(argument),
        "-" if is_set => Ok(value.unwrap_or_default()),
        "-" => nested(argument),
        ":?" | "?"
            if (operator_name == ":?" && is_non_empty) || (operator_name == "?" && is_set) =>
        {
            Ok(value.unwrap_or_default())
        }
        ":?" | "?" => {
            let reason = nested(argument)?;
            let reason = if reason.is_empty() {
                "it is required".to_string()
            } else {
                reason
            };
            Err(Some(format!(
                "required variable {name} is missing a value: {reason}"
            )))
        }
        ":+" if is_non_empty => nested(argument),
        "+" if is_set => nested(argument),
        ":+" | "+" => Ok(String::new()),
        _ => Err(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, &str>) {
        let lookup = |name: &str| match name {
            "PORT" => Some("9090".to_string()),
            "EMPTY" => Some(String::new()),
            "NAME" => Some("livechat".to_string()),
            _ => None,
        };
        let actual = interpolate(input, &lookup);
        assert_eq!(
            actual.as_deref(),
            expected.map_err(|e| e.to_string()).as_deref(),
            "input {input:?}"
        );
    }

    #[test]
    fn expands() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("plain", Ok("plain")),
            ("${PORT}", Ok("9090")),
            ("$PORT/x", Ok("9090/x")),
            ("127.0.0.1:${PORT:-8080}:8080", Ok("127.0.0.1:9090:8080")),
            ("127.0.0.1:${UNSET:-8080}:8080", Ok("127.0.0.1:8080:8080")),
            ("${EMPTY:-d}", Ok("d")),
            ("${EMPTY-d}", Ok("")),
            ("${UNSET-d}", Ok("d")),
            ("${UNSET}", Ok("")),
            ("${UNSET:-${NAME}}-x", Ok("livechat-x")),
            ("${PORT:+set}", Ok("set")),
            ("${EMPTY:+set}", Ok("")),
            ("${EMPTY+set}", Ok("set")),
            ("${UNSET+set}", Ok("")),
            ("$$PORT", Ok("$PORT")),
            ("a$$", Ok("a$")),
            ("${NAME:?must be set}", Ok("livechat")),
            ("${EMPTY?must be set}", Ok("")),
        ];
        for (input, expected) in cases {
            check(input, *expected);
        }
    }

    #[test]
    fn rejects() {
        check(
            "${UNSET:?set it in .env}",
            Err("required variable UNSET is missing a value: set it in .env"),
        );
        check(
            "${EMPTY:?}",
            Err("required variable EMPTY is missing a value: it is required"),
        );
        let invalid = |input: &str| {
            format!("invalid interpolation format in {input:?} (write a literal `$` as `$$`)")
        };
        for input in [
            "${PORT",
            "${}",
            "cost: 5$",
            "${PORT:x}",
            "${1A}",
            "$-",
            "${A:é}",
        ] {
            check(input, Err(&invalid(input)));
        }
    }
}
