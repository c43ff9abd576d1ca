//! The host functions handed to plugins ([`HostVtable`]). Each runs behind `catch_unwind`, so a
//! host bug surfaces as an error, never as an abort across the FFI boundary.

use crate::output;
use crate::state::{self, HostState};
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::std_types::{ROption, RResult, RStr, RString, RVec};
use mfactl_plugin_api::{
    DbInfo, DbTarget, Error, ErrorKind, Globals, HostCtx, HostVtable, HostVtableRef, Level,
    PluginError, Rows, Value, HOST_ABI,
};
use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

fn guarded<T>(f: impl FnOnce() -> Result<T, Error>) -> RResult<T, PluginError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => RResult::ROk(v),
        Ok(Err(e)) => RResult::RErr(e.into()),
        Err(_) => RResult::RErr(Error::internal("mfactl host panicked inside a host call").into()),
    }
}

fn quiet<T: Default>(f: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_default()
}

fn st() -> Result<Arc<HostState>, Error> {
    state::get()
}

extern "C" fn config_get(key: RStr<'_>) -> ROption<RString> {
    quiet(|| {
        st().ok()
            .and_then(|s| {
                s.settings
                    .as_ref()
                    .ok()
                    .and_then(|c| c.get_json(key.as_str()))
            })
            .map(RString::from)
            .into()
    })
}

extern "C" fn plugin_config(noun: RStr<'_>) -> RString {
    quiet(|| {
        st().ok()
            .and_then(|s| {
                s.settings
                    .as_ref()
                    .ok()
                    .map(|c| c.plugin(noun.as_str()).table.to_string())
            })
            .unwrap_or_else(|| "{}".to_string())
            .into()
    })
}

extern "C" fn globals() -> Globals {
    let g = st().map(|s| s.globals.clone()).unwrap_or_default();
    Globals {
        dry_run: g.dry_run,
        yes: g.yes,
        verbosity: g.verbosity,
        format: g.format.into(),
        color: g.color,
    }
}

extern "C" fn out(text: RStr<'_>) {
    quiet(|| output::with(|o| o.out(text.as_str())))
}

extern "C" fn message(level: Level, text: RStr<'_>) {
    quiet(|| output::with(|o| o.message(level, text.as_str())))
}

extern "C" fn progress_start(label: RStr<'_>, total: u64) -> u64 {
    quiet(|| output::with(|o| o.progress_start(label.as_str(), total)))
}

extern "C" fn progress_advance(handle: u64, delta: u64) {
    quiet(|| output::with(|o| o.progress_advance(handle, delta)))
}

extern "C" fn progress_finish(handle: u64) {
    quiet(|| output::with(|o| o.progress_finish(handle)))
}

extern "C" fn prompt_secret(prompt: RStr<'_>, confirm: bool) -> RResult<RString, PluginError> {
    guarded(|| {
        let no_tty = || {
            Error::new(ErrorKind::Usage, "a secret is needed but there is no terminal to ask on")
                .with_hint("use the command's --password-file option or the environment variable its help names")
        };
        if !std::io::stdin().is_terminal() && std::fs::File::open("/dev/tty").is_err() {
            return Err(no_tty());
        }
        let first =
            rpassword::prompt_password(prompt.as_str()).map_err(|e| no_tty().with_cause(e))?;
        if confirm {
            let again = rpassword::prompt_password("Repeat for confirmation: ")
                .map_err(|e| no_tty().with_cause(e))?;
            if again != first {
                return Err(Error::failed("the two entries do not match"));
            }
        }
        Ok(RString::from(first))
    })
}

extern "C" fn confirm(question: RStr<'_>) -> RResult<bool, PluginError> {
    guarded(|| {
        if st()?.globals.yes {
            return Ok(true);
        }
        if !std::io::stdin().is_terminal() {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "{} — cannot ask: stdin is not a terminal",
                    question.as_str()
                ),
            )
            .with_hint("pass --yes to confirm non-interactively"));
        }
        output::with(|o| o.err_raw(&format!("{} [y/N] ", question.as_str())));
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Error::internal("cannot read the answer").with_cause(e))?;
        Ok(matches!(
            line.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    })
}

extern "C" fn db_info(db: DbTarget) -> RResult<DbInfo, PluginError> {
    guarded(|| st()?.db(db)?.info())
}

extern "C" fn db_query(
    db: DbTarget,
    sql: RStr<'_>,
    params: RVec<Value>,
) -> RResult<Rows, PluginError> {
    guarded(|| st()?.db(db)?.query(sql.as_str(), &params))
}

extern "C" fn db_execute(
    db: DbTarget,
    sql: RStr<'_>,
    params: RVec<Value>,
) -> RResult<u64, PluginError> {
    guarded(|| st()?.db(db)?.execute(sql.as_str(), &params))
}

extern "C" fn db_stream_open(
    db: DbTarget,
    sql: RStr<'_>,
    params: RVec<Value>,
) -> RResult<u64, PluginError> {
    guarded(|| {
        let s = st()?;
        let stream = s.db(db)?.stream_open(sql.as_str(), params.into_vec())?;
        let mut next = s
            .next_stream
            .lock()
            .map_err(|_| Error::internal("stream table poisoned"))?;
        let h = *next;
        *next += 1;
        s.streams
            .lock()
            .map_err(|_| Error::internal("stream table poisoned"))?
            .insert(h, stream);
        Ok(h)
    })
}

extern "C" fn db_stream_next(handle: u64, max_rows: u32) -> RResult<Rows, PluginError> {
    guarded(|| {
        let s = st()?;
        let mut streams = s
            .streams
            .lock()
            .map_err(|_| Error::internal("stream table poisoned"))?;
        let stream = streams
            .get_mut(&handle)
            .ok_or_else(|| Error::internal(format!("no open stream {handle}")))?;
        stream.next_batch(max_rows.max(1) as usize)
    })
}

extern "C" fn db_stream_close(handle: u64) {
    quiet(|| {
        if let Ok(s) = st() {
            if let Ok(mut m) = s.streams.lock() {
                m.remove(&handle);
            }
        }
    })
}

extern "C" fn db_begin(db: DbTarget) -> RResult<(), PluginError> {
    guarded(|| st()?.db(db)?.begin())
}

extern "C" fn db_commit(db: DbTarget) -> RResult<(), PluginError> {
    guarded(|| st()?.db(db)?.commit())
}

extern "C" fn db_rollback(db: DbTarget) -> RResult<(), PluginError> {
    guarded(|| st()?.db(db)?.rollback())
}

extern "C" fn db_lock(db: DbTarget, name: RStr<'_>, timeout_ms: u64) -> RResult<(), PluginError> {
    guarded(|| {
        st()?
            .db(db)?
            .lock(name.as_str(), Duration::from_millis(timeout_ms))
    })
}

extern "C" fn db_unlock(db: DbTarget, name: RStr<'_>) -> RResult<(), PluginError> {
    guarded(|| st()?.db(db)?.unlock(name.as_str()))
}

extern "C" fn db_next_id(db: DbTarget, table: RStr<'_>) -> RResult<ROption<i64>, PluginError> {
    guarded(|| Ok(st()?.db(db)?.next_id(table.as_str())?.into()))
}

/// The context handed to every plugin's `run`.
pub fn host_ctx() -> HostCtx {
    static VT: OnceLock<HostVtableRef> = OnceLock::new();
    let vtable = *VT.get_or_init(|| {
        HostVtable {
            config_get,
            plugin_config,
            globals,
            out,
            message,
            progress_start,
            progress_advance,
            progress_finish,
            prompt_secret,
            confirm,
            db_info,
            db_query,
            db_execute,
            db_stream_open,
            db_stream_next,
            db_stream_close,
            db_begin,
            db_commit,
            db_rollback,
            db_lock,
            db_unlock,
            db_next_id,
        }
        .leak_into_prefix()
    });
    HostCtx {
        host_abi: HOST_ABI,
        vtable,
    }
}
