//! Member names and link targets: what may be extracted, and where.

/// Normalises a member name: UTF-8, relative, no `..`; `.` and empty components dropped.
/// Returns the reason on refusal.
pub fn normalize_name(raw: &[u8]) -> Result<String, String> {
    let s = std::str::from_utf8(raw).map_err(|_| "name is not UTF-8".to_string())?;
    if s.starts_with('/') {
        return Err("absolute path".into());
    }
    if s.contains('\0') {
        return Err("NUL byte in name".into());
    }
    let mut parts = Vec::new();
    for c in s.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err("path contains '..'".into()),
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return Err("empty name".into());
    }
    Ok(parts.join("/"))
}

/// Checks a symbolic link placed at relative path `at` (already normalised) pointing to
/// `target`: refused when absolute or when it resolves outside the restore root.
pub fn check_symlink(at: &str, target: &[u8]) -> Result<(), String> {
    let t = std::str::from_utf8(target).map_err(|_| "link target is not UTF-8".to_string())?;
    if t.is_empty() {
        return Err("empty link target".into());
    }
    if t.starts_with('/') {
        return Err(format!("symlink to absolute path {t}"));
    }
    let mut stack: Vec<&str> = at.split('/').collect();
    stack.pop(); // the link's own name
    for c in t.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if stack.pop().is_none() {
                    return Err(format!("symlink target {t} leaves the restore root"));
                }
            }
            other => stack.push(other),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            normalize_name(b"./etc//pi.cfg").as_deref(),
            Ok("etc/pi.cfg")
        );
        assert!(normalize_name(b"/etc/passwd").is_err());
        assert!(normalize_name(b"etc/../../x").is_err());
        assert!(normalize_name(b"..").is_err());
        assert!(normalize_name(b"").is_err());
        assert!(normalize_name(&[0xff, 0x41]).is_err());
    }

    #[test]
    fn symlinks() {
        assert!(check_symlink("etc/pi/a", b"b").is_ok());
        assert!(check_symlink("etc/pi/a", b"../x").is_ok());
        assert!(check_symlink("etc/pi/a", b"../../x").is_ok());
        assert!(check_symlink("etc/pi/a", b"../../../x").is_err());
        assert!(check_symlink("etc/pi/a", b"/etc/shadow").is_err());
    }
}
