//! The verification pass: reads the whole archive once, hashes every member, refuses unsafe
//! members and compares everything with the manifest. Nothing is written.

use crate::archive::{self, HashRead, Layers, Unlock};
use crate::manifest::{
    Header, Manifest, DB_PREFIX, FILES_PREFIX, FORMAT, FORMAT_VERSION, HEADER_NAME, MANIFEST_NAME,
    MAX_META_SIZE,
};
use crate::safety::{check_symlink, normalize_name};
use crate::uri::Engine;
use mfactl_plugin_api::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::{self, Read};
use std::path::Path;

/// The type of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
    /// Hard link to an earlier member.
    Hardlink,
}

impl Kind {
    /// The manifest's word for it.
    pub fn word(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Dir => "dir",
            Kind::Symlink => "symlink",
            Kind::Hardlink => "hardlink",
        }
    }
}

/// One member as found in the archive.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Normalised name.
    pub name: String,
    /// Type.
    pub kind: Kind,
    /// Content size.
    pub size: u64,
    /// SHA-256 of the content (files).
    pub sha256: Option<String>,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Link target (normalised member name for hard links).
    pub link: Option<String>,
    /// Owner name, when recorded.
    pub uname: Option<String>,
    /// Group name, when recorded.
    pub gname: Option<String>,
}

/// A pi-manage 3.14 archive.
#[derive(Debug, Clone)]
pub struct Legacy {
    /// Member holding pi.cfg.
    pub config: String,
    /// Member holding the database dump.
    pub dump: String,
    /// The dump's engine (`.sqlite` → SQLite, `.sql` → MySQL).
    pub engine: Engine,
    /// Member holding the key, if any.
    pub key: Option<String>,
}

/// Which layout the archive has.
#[derive(Debug, Clone)]
pub enum Format {
    /// Written by mfactl.
    Mfactl(Box<Manifest>),
    /// Written by pi-manage 3.14.
    PiManage(Legacy),
}

/// The result of a verification pass.
#[derive(Debug, Clone)]
pub struct Scan {
    /// Every member, in order (header and manifest included for mfactl archives).
    pub members: Vec<Seen>,
    /// Layout.
    pub format: Format,
    /// Outer layers.
    pub layers: Layers,
    /// Content of small config files (`…/pi.cfg`, `…/mfactl.toml`), by member name.
    pub configs: Vec<(String, Vec<u8>)>,
}

impl Scan {
    /// The engine of the dump.
    pub fn engine(&self) -> Engine {
        match &self.format {
            Format::Mfactl(m) => m.header.dialect,
            Format::PiManage(l) => l.engine,
        }
    }
    /// The members (in order) that hold the database dump.
    pub fn db_members(&self) -> Vec<String> {
        match &self.format {
            Format::Mfactl(m) => m.db.members.clone(),
            Format::PiManage(l) => vec![l.dump.clone()],
        }
    }
    /// Where a member goes, relative to the restore root; `None` for members that are not
    /// restored as files (header, manifest, database dump).
    pub fn dest_rel(&self, name: &str) -> Option<String> {
        dest_rel(&self.format_kind(), name)
    }
    fn format_kind(&self) -> FormatKind {
        match &self.format {
            Format::Mfactl(_) => FormatKind::Mfactl,
            Format::PiManage(l) => FormatKind::Legacy(l.dump.clone()),
        }
    }
}

enum FormatKind {
    Mfactl,
    Legacy(String),
}

fn dest_rel(kind: &FormatKind, name: &str) -> Option<String> {
    match kind {
        FormatKind::Mfactl => name.strip_prefix(FILES_PREFIX).map(str::to_string),
        FormatKind::Legacy(dump) => (name != dump).then(|| name.to_string()),
    }
}

/// A refusal naming the member.
pub fn refuse(name: &str, why: &str) -> Error {
    Error::failed(format!("unsafe or damaged archive: member {name:?}: {why}"))
        .with_hint("nothing was written; the archive is not restored")
}

fn read_err(path: &Path, e: &io::Error) -> Error {
    Error::failed(format!(
        "cannot read backup file {} (truncated or damaged?)",
        path.display()
    ))
    .with_source(e)
}

/// Reads and checks the whole archive.
pub fn scan(path: &Path, unlock: &Unlock) -> Result<Scan> {
    let layers = archive::sniff(path)?;
    let reader = archive::open(path, unlock)?;
    let mut ar = tar::Archive::new(reader);
    let entries = ar.entries().map_err(|e| read_err(path, &e))?;
    let mut members: Vec<Seen> = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    let mut header_bytes: Option<Vec<u8>> = None;
    let mut manifest_bytes: Option<Vec<u8>> = None;
    let mut db_hasher = Sha256::new();
    let mut db_names: Vec<String> = Vec::new();
    let mut configs: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in entries {
        let mut e = entry.map_err(|e| read_err(path, &e))?;
        let et = e.header().entry_type();
        if matches!(et, tar::EntryType::XGlobalHeader) {
            continue;
        }
        let raw = e.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let name = normalize_name(&raw).map_err(|why| refuse(&shown, &why))?;
        if !names.insert(name.clone()) {
            return Err(refuse(&name, "appears twice in the archive"));
        }
        let size = e.size();
        let mode = e.header().mode().unwrap_or(0o600) & 0o7777;
        let uid = e.header().uid().unwrap_or(0);
        let gid = e.header().gid().unwrap_or(0);
        let uname = e.header().username().ok().flatten().map(str::to_string);
        let gname = e.header().groupname().ok().flatten().map(str::to_string);
        let (kind, sha, link) = match et {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let is_meta = name == HEADER_NAME || name == MANIFEST_NAME;
                let is_db = name.starts_with(DB_PREFIX);
                let is_cfg = (name.ends_with("/pi.cfg") || name.ends_with("/mfactl.toml"))
                    && size <= 1024 * 1024;
                if is_meta && size > MAX_META_SIZE {
                    return Err(refuse(&name, "metadata member too large"));
                }
                let mut hr = HashRead::new(&mut e);
                if is_meta {
                    let mut buf = Vec::new();
                    hr.read_to_end(&mut buf).map_err(|e| read_err(path, &e))?;
                    if name == HEADER_NAME {
                        header_bytes = Some(buf);
                    } else {
                        manifest_bytes = Some(buf);
                    }
                } else if is_cfg {
                    let mut buf = Vec::new();
                    hr.read_to_end(&mut buf).map_err(|e| read_err(path, &e))?;
                    configs.push((name.clone(), buf));
                } else if is_db {
                    let mut buf = vec![0u8; 1 << 16];
                    loop {
                        let n = hr.read(&mut buf).map_err(|e| read_err(path, &e))?;
                        if n == 0 {
                            break;
                        }
                        db_hasher.update(&buf[..n]);
                    }
                    db_names.push(name.clone());
                } else {
                    io::copy(&mut hr, &mut io::sink()).map_err(|e| read_err(path, &e))?;
                }
                if hr.count() != size {
                    return Err(refuse(&name, "member is truncated"));
                }
                (Kind::File, Some(hr.hex()), None)
            }
            tar::EntryType::Directory => (Kind::Dir, None, None),
            tar::EntryType::Symlink => {
                let target = e
                    .link_name_bytes()
                    .ok_or_else(|| refuse(&name, "symlink without target"))?;
                let t = std::str::from_utf8(&target)
                    .map_err(|_| refuse(&name, "link target is not UTF-8"))?;
                (Kind::Symlink, None, Some(t.to_string()))
            }
            tar::EntryType::Link => {
                let target = e
                    .link_name_bytes()
                    .ok_or_else(|| refuse(&name, "hard link without target"))?;
                let t = normalize_name(&target)
                    .map_err(|why| refuse(&name, &format!("hard link target: {why}")))?;
                (Kind::Hardlink, None, Some(t))
            }
            tar::EntryType::Char | tar::EntryType::Block => {
                return Err(refuse(&name, "device node"))
            }
            tar::EntryType::Fifo => return Err(refuse(&name, "fifo")),
            other => return Err(refuse(&name, &format!("unsupported member type {other:?}"))),
        };
        members.push(Seen {
            name,
            kind,
            size,
            sha256: sha,
            mode,
            uid,
            gid,
            link,
            uname,
            gname,
        });
    }
    if members.is_empty() {
        return Err(Error::failed(format!(
            "{} holds no members (empty or not a backup)",
            path.display()
        )));
    }

    let format = if members[0].name == HEADER_NAME {
        let manifest = check_mfactl(&members, header_bytes, manifest_bytes, db_hasher, &db_names)?;
        Format::Mfactl(Box::new(manifest))
    } else {
        Format::PiManage(check_legacy(&members)?)
    };
    let scan = Scan {
        members,
        format,
        layers,
        configs,
    };
    check_links(&scan)?;
    Ok(scan)
}

fn check_mfactl(
    members: &[Seen],
    header_bytes: Option<Vec<u8>>,
    manifest_bytes: Option<Vec<u8>>,
    db_hasher: Sha256,
    db_names: &[String],
) -> Result<Manifest> {
    let last = members.last().map(|m| m.name.as_str()).unwrap_or("");
    if last != MANIFEST_NAME {
        return Err(Error::failed(
            "the archive has no manifest at its end (interrupted or truncated backup)",
        )
        .with_hint("nothing was written; use another backup"));
    }
    let manifest_bytes = manifest_bytes.unwrap_or_default();
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| refuse(MANIFEST_NAME, &format!("not a valid manifest: {e}")))?;
    let header: Header = serde_json::from_slice(&header_bytes.unwrap_or_default())
        .map_err(|e| refuse(HEADER_NAME, &format!("not a valid header: {e}")))?;
    if header.format != FORMAT {
        return Err(refuse(HEADER_NAME, "not an mfactl backup header"));
    }
    if header.format_version > FORMAT_VERSION || manifest.header.format_version > FORMAT_VERSION {
        return Err(Error::failed(format!(
            "archive format version {} is newer than this mfactl understands ({FORMAT_VERSION})",
            header.format_version
        ))
        .with_hint("restore it with a newer mfactl"));
    }
    if header != manifest.header {
        return Err(refuse(HEADER_NAME, "differs from the manifest's copy"));
    }
    let body = &members[..members.len() - 1];
    for seen in body {
        if seen.name != HEADER_NAME
            && !seen.name.starts_with(FILES_PREFIX)
            && !seen.name.starts_with(DB_PREFIX)
        {
            return Err(refuse(
                &seen.name,
                "unexpected member (not in files/ or db/)",
            ));
        }
        let Some(m) = manifest.member(&seen.name) else {
            return Err(refuse(&seen.name, "not listed in the manifest"));
        };
        if m.kind != seen.kind.word() {
            return Err(refuse(
                &seen.name,
                &format!("is a {} but the manifest says {}", seen.kind.word(), m.kind),
            ));
        }
        if seen.size > m.size {
            return Err(refuse(
                &seen.name,
                &format!("size {} is over the manifest's {}", seen.size, m.size),
            ));
        }
        if seen.size != m.size {
            return Err(refuse(
                &seen.name,
                &format!("size {} differs from the manifest's {}", seen.size, m.size),
            ));
        }
        if m.sha256 != seen.sha256 {
            return Err(refuse(&seen.name, "SHA-256 checksum mismatch"));
        }
        if seen.kind == Kind::Symlink && m.link != seen.link {
            return Err(refuse(&seen.name, "link target differs from the manifest"));
        }
    }
    if body.len() != manifest.members.len() {
        for m in &manifest.members {
            if !body.iter().any(|s| s.name == m.name) {
                return Err(refuse(&m.name, "listed in the manifest but missing"));
            }
        }
    }
    if db_names != manifest.db.members.as_slice() {
        return Err(refuse(
            manifest
                .db
                .members
                .first()
                .map(String::as_str)
                .unwrap_or("db/"),
            "database members differ from the manifest",
        ));
    }
    if hex::encode(db_hasher.finalize()) != manifest.db.sha256 {
        return Err(refuse(
            "db/",
            "SHA-256 checksum of the database dump mismatch",
        ));
    }
    Ok(manifest)
}

fn is_legacy_dump(name: &str) -> bool {
    // pi-manage's `dbdump-\d{8}-\d{4}\.sql` (also matches `.sqlite`)
    let b = name.as_bytes();
    let mut start = 0;
    while let Some(i) = name[start..].find("dbdump-") {
        let p = start + i + 7;
        let digits = |from: usize, n: usize| {
            b.get(from..from + n)
                .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
        };
        if digits(p, 8)
            && b.get(p + 8) == Some(&b'-')
            && digits(p + 9, 4)
            && name[p + 13..].starts_with(".sql")
        {
            return true;
        }
        start = p;
    }
    false
}

fn check_legacy(members: &[Seen]) -> Result<Legacy> {
    let mut config = None;
    let mut dump = None;
    let mut key = None;
    for m in members {
        if m.kind != Kind::File {
            continue;
        }
        if m.name.ends_with("/pi.cfg") {
            config = Some(m.name.clone());
        }
        if is_legacy_dump(&m.name) {
            dump = Some(m.name.clone());
        }
        if m.name.contains("/enckey") || m.name.contains("/encKey") {
            key = Some(m.name.clone());
        }
    }
    let config = config.ok_or_else(|| {
        Error::failed("missing config file pi.cfg in backup file")
            .with_hint("this is neither an mfactl nor a pi-manage backup")
    })?;
    let dump = dump.ok_or_else(|| Error::failed("missing database dump in backup file"))?;
    let engine = if dump.ends_with(".sqlite") {
        Engine::Sqlite
    } else {
        Engine::Mysql
    };
    Ok(Legacy {
        config,
        dump,
        engine,
        key,
    })
}

fn check_links(scan: &Scan) -> Result<()> {
    let fk = scan.format_kind();
    let mut files_seen: HashSet<&str> = HashSet::new();
    for m in &scan.members {
        let dest = dest_rel(&fk, &m.name);
        match m.kind {
            Kind::Symlink => {
                let Some(at) = dest else {
                    return Err(refuse(&m.name, "symlink outside the file tree"));
                };
                let target = m.link.as_deref().unwrap_or("");
                check_symlink(&at, target.as_bytes()).map_err(|why| refuse(&m.name, &why))?;
            }
            Kind::Hardlink => {
                let target = m.link.as_deref().unwrap_or("");
                if dest.is_none() || dest_rel(&fk, target).is_none() {
                    return Err(refuse(&m.name, "hard link outside the file tree"));
                }
                if !files_seen.contains(target) {
                    return Err(refuse(
                        &m.name,
                        &format!("hard link to {target:?}, which is not an earlier file member"),
                    ));
                }
            }
            Kind::File => {
                files_seen.insert(m.name.as_str());
            }
            Kind::Dir => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_dump_names() {
        assert!(is_legacy_dump(
            "var/lib/privacyidea/backup/dbdump-20261122-0645.sqlite"
        ));
        assert!(is_legacy_dump("x/dbdump-20261122-0645.sql"));
        assert!(!is_legacy_dump("x/db-20261122-0645.sqlite"));
        assert!(!is_legacy_dump("x/dbdump-2026112-0645.sql"));
    }
}

#[cfg(test)]
mod archive_tests {
    use super::*;
    use crate::archive::{ArchiveWriter, Encryption, Meta};
    use crate::manifest::{DbPart, Manifest, Member};
    use age::secrecy::SecretString;
    use std::io::Write;

    fn header() -> Header {
        Header {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            mfactl_version: "0.1.0".into(),
            host: "h".into(),
            created: "2026-11-22T07:00:00+00:00".into(),
            dialect: Engine::Sqlite,
            db_uri: "sqlite:////x/pi.sqlite".into(),
            sqlite_path: Some("/x/pi.sqlite".into()),
            schema_revision: None,
            key_included: false,
            key_path: None,
            key_fingerprint: None,
            compression_level: 3,
            encrypted: false,
        }
    }

    const META: Meta = Meta {
        mode: 0o640,
        uid: 0,
        gid: 0,
        mtime: 0,
    };

    /// A valid archive written by ArchiveWriter.
    fn good(path: &Path, enc: Option<Encryption>) {
        let f = std::fs::File::create(path).expect("create");
        let mut w = ArchiveWriter::new(f, 3, enc).expect("writer");
        let h = header();
        w.add_bytes(HEADER_NAME, &serde_json::to_vec(&h).expect("json"), META)
            .expect("h");
        w.add_dir("files/x", META).expect("dir");
        w.add_bytes(
            "files/x/pi.cfg",
            b"SQLALCHEMY_DATABASE_URI = 'sqlite:////x/pi.sqlite'\n",
            META,
        )
        .expect("cfg");
        w.add_symlink("files/x/link", "pi.cfg", META).expect("ln");
        let sha = w
            .add_bytes("db/database.sqlite", b"not really sqlite", META)
            .expect("db");
        let m = Manifest {
            header: h,
            members: w.members().to_vec(),
            db: DbPart {
                kind: "sqlite".into(),
                members: vec!["db/database.sqlite".into()],
                size: 17,
                sha256: sha,
                tables: Default::default(),
                tool: "test".into(),
            },
        };
        w.finish(MANIFEST_NAME, &serde_json::to_vec(&m).expect("json"), META)
            .expect("finish");
    }

    /// name, type, content, link name
    type RawEntry<'a> = (&'a [u8], tar::EntryType, &'a [u8], &'a [u8]);

    /// A raw tar (names and link names written byte for byte), zstd-compressed.
    fn raw(path: &Path, entries: &[RawEntry<'_>]) {
        let mut b = tar::Builder::new(Vec::new());
        for (name, et, data, link) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*et);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            {
                let g = h.as_gnu_mut().expect("gnu");
                g.name[..name.len()].copy_from_slice(name);
                g.linkname[..link.len()].copy_from_slice(link);
            }
            h.set_cksum();
            b.append(&h, *data).expect("append");
        }
        let tar = b.into_inner().expect("tar");
        let z = zstd::encode_all(&tar[..], 3).expect("zstd");
        std::fs::File::create(path)
            .and_then(|mut f| f.write_all(&z))
            .expect("write");
    }

    fn err(path: &Path) -> String {
        match scan(path, &Unlock::default()) {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn round_trip_and_encryption() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("a.tar.zst");
        good(&p, None);
        let s = scan(&p, &Unlock::default()).expect("scan");
        assert!(matches!(s.format, Format::Mfactl(_)));
        assert_eq!(s.members.len(), 6);
        assert_eq!(s.dest_rel("files/x/pi.cfg").as_deref(), Some("x/pi.cfg"));
        assert_eq!(s.dest_rel("db/database.sqlite"), None);
        assert_eq!(s.configs.len(), 1);

        let p = d.path().join("b.tar.zst.age");
        good(
            &p,
            Some(Encryption::Passphrase(SecretString::from("pw".to_string()))),
        );
        assert!(archive::sniff(&p).expect("sniff").encrypted);
        let ok = Unlock {
            passphrase: Some(SecretString::from("pw".to_string())),
            ..Default::default()
        };
        assert!(scan(&p, &ok).is_ok());
        let bad = Unlock {
            passphrase: Some(SecretString::from("wrong".to_string())),
            ..Default::default()
        };
        let e = scan(&p, &bad).expect_err("wrong passphrase");
        assert!(e.to_string().contains("cannot decrypt"), "{e}");
        let e = scan(&p, &Unlock::default()).expect_err("no passphrase");
        assert!(e.to_string().contains("is encrypted"), "{e}");
    }

    #[test]
    fn recipient_encryption_needs_the_identity() {
        let d = tempfile::tempdir().expect("tmp");
        let id = age::x25519::Identity::generate();
        let other = age::x25519::Identity::generate();
        let p = d.path().join("r.tar.zst.age");
        good(&p, Some(Encryption::Recipients(vec![id.to_public()])));
        // through an identity file, as `--identity FILE` reads it
        use age::secrecy::ExposeSecret;
        let idf = d.path().join("key.txt");
        std::fs::write(
            &idf,
            format!("# test\n{}\n", id.to_string().expose_secret()),
        )
        .expect("write");
        let ok = Unlock {
            identities: archive::load_identities(&idf).expect("identities"),
            ..Default::default()
        };
        assert!(scan(&p, &ok).is_ok());
        let bad = Unlock {
            identities: vec![Box::new(other)],
            ..Default::default()
        };
        assert!(scan(&p, &bad).is_err());
    }

    #[test]
    fn truncated_and_tampered_archives_are_refused() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("a.tar.zst");
        good(&p, None);
        let data = std::fs::read(&p).expect("read");
        // truncated
        let t = d.path().join("t.tar.zst");
        std::fs::write(&t, &data[..data.len() / 2]).expect("w");
        let e = err(&t);
        assert!(e.contains("truncated") || e.contains("cannot read"), "{e}");
        // tampered content: rebuild the tar with another cfg content but the old manifest
        let plain = zstd::decode_all(&data[..]).expect("dec");
        let needle = b"sqlite:////x/pi.sqlite'";
        let pos = plain
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("find cfg");
        let mut bad = plain.clone();
        bad[pos] = b'S';
        let b = d.path().join("b.tar.zst");
        std::fs::write(&b, zstd::encode_all(&bad[..], 3).expect("enc")).expect("w");
        let e = err(&b);
        assert!(
            e.contains("files/x/pi.cfg") && e.contains("checksum"),
            "{e}"
        );
    }

    #[test]
    fn malicious_members_are_refused_by_name() {
        let d = tempfile::tempdir().expect("tmp");
        let cfg: &[u8] = b"x";
        let cases: Vec<(&str, Vec<RawEntry<'_>>, &str)> = vec![
            (
                "traversal",
                vec![
                    (b"etc/pi/pi.cfg", tar::EntryType::Regular, cfg, b""),
                    (b"etc/../../evil", tar::EntryType::Regular, cfg, b""),
                ],
                "etc/../../evil",
            ),
            (
                "absolute",
                vec![(b"/etc/evil", tar::EntryType::Regular, cfg, b"")],
                "/etc/evil",
            ),
            (
                "symlink",
                vec![
                    (b"etc/pi/pi.cfg", tar::EntryType::Regular, cfg, b""),
                    (
                        b"var/x/dbdump-20261122-0645.sqlite",
                        tar::EntryType::Regular,
                        cfg,
                        b"",
                    ),
                    (
                        b"etc/pi/s",
                        tar::EntryType::Symlink,
                        b"",
                        b"../../../etc/shadow",
                    ),
                ],
                "etc/pi/s",
            ),
            (
                "abs symlink",
                vec![
                    (b"etc/pi/pi.cfg", tar::EntryType::Regular, cfg, b""),
                    (
                        b"var/x/dbdump-20261122-0645.sqlite",
                        tar::EntryType::Regular,
                        cfg,
                        b"",
                    ),
                    (b"etc/pi/s", tar::EntryType::Symlink, b"", b"/etc/shadow"),
                ],
                "etc/pi/s",
            ),
            (
                "hardlink",
                vec![
                    (b"etc/pi/pi.cfg", tar::EntryType::Regular, cfg, b""),
                    (b"etc/pi/h", tar::EntryType::Link, b"", b"../../etc/shadow"),
                ],
                "etc/pi/h",
            ),
            (
                "hardlink to outside file",
                vec![
                    (b"etc/pi/pi.cfg", tar::EntryType::Regular, cfg, b""),
                    (
                        b"var/x/dbdump-20261122-0645.sqlite",
                        tar::EntryType::Regular,
                        cfg,
                        b"",
                    ),
                    (b"etc/pi/h", tar::EntryType::Link, b"", b"etc/shadow"),
                ],
                "etc/pi/h",
            ),
            (
                "device",
                vec![(b"etc/pi/dev", tar::EntryType::Char, b"", b"")],
                "etc/pi/dev",
            ),
            (
                "fifo",
                vec![(b"etc/pi/fifo", tar::EntryType::Fifo, b"", b"")],
                "etc/pi/fifo",
            ),
        ];
        for (what, entries, member) in cases {
            let p = d.path().join(format!("{}.tar.zst", what.replace(' ', "_")));
            raw(&p, &entries);
            let e = err(&p);
            assert!(e.contains(member), "{what}: {e}");
        }
    }

    #[test]
    fn oversized_member_is_refused() {
        // a member whose header size exceeds the manifest's
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("a.tar.zst");
        good(&p, None);
        let plain = zstd::decode_all(&std::fs::read(&p).expect("r")[..]).expect("dec");
        // rewrite the tar with a larger pi.cfg but the original manifest
        let mut ar = tar::Archive::new(&plain[..]);
        let mut b = tar::Builder::new(Vec::new());
        for e in ar.entries().expect("entries") {
            let mut e = e.expect("entry");
            let mut h = e.header().clone();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).expect("read");
            if e.path_bytes().as_ref() == b"files/x/pi.cfg" {
                data.extend_from_slice(&[b'A'; 4096]);
                h.set_size(data.len() as u64);
                h.set_cksum();
            }
            b.append(&h, &data[..]).expect("append");
        }
        let q = d.path().join("big.tar.zst");
        std::fs::write(
            &q,
            zstd::encode_all(&b.into_inner().expect("tar")[..], 3).expect("z"),
        )
        .expect("w");
        let e = err(&q);
        assert!(
            e.contains("files/x/pi.cfg") && e.contains("over the manifest"),
            "{e}"
        );
    }

    #[test]
    fn missing_manifest_is_refused() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("a.tar.zst");
        let h = serde_json::to_vec(&header()).expect("json");
        raw(
            &p,
            &[(HEADER_NAME.as_bytes(), tar::EntryType::Regular, &h, b"")],
        );
        assert!(err(&p).contains("no manifest"));
        let _ = Member {
            name: String::new(),
            kind: String::new(),
            size: 0,
            sha256: None,
            mode: 0,
            uid: 0,
            gid: 0,
            link: None,
        };
    }
}
