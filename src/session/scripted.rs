//! A scripted [`Transport`] for the driver tests ([`super::tests`]): each
//! round trip is answered by the next step of a script, which sees the
//! commands; every round trip is recorded in a short form (`ms L ME`,
//! `mg K`, `md L C7`: verb, `K` the session or `L` its lock, and the guard).

use super::{handler::Handler, transport::Transport};
use crate::{
    config::Config,
    core::hash::Distribution,
    core::replica,
    core::save_path,
    error::{Error, Result},
    net::pool::Job,
    net::protocol::{Command, Meta, Reply, SetMode},
};
use parking_lot::Mutex;
use std::{collections::VecDeque, ffi::CStr, sync::Arc, time::Duration};

/// One scripted round trip: the jobs sent, and the servers marked failed
/// (a step may mark one, as the pool does after a timeout).
type Step = Box<dyn FnMut(&[Job<'_>], &mut Vec<usize>) -> Vec<Result<Vec<Reply>>> + Send>;

#[derive(Default)]
pub struct Script {
    steps: VecDeque<Step>,
    /// Per round trip: per server, the commands in a short form.
    log: Vec<Vec<(usize, Vec<String>)>>,
    pub pending_deletes: Vec<(usize, Vec<u8>, Vec<u8>)>,
    /// Commands sent unawaited, in a short form, with the number of round
    /// trips logged before each (so a test sees where it was sent).
    pub unawaited: Vec<(usize, usize, Vec<String>)>,
    down: Vec<usize>,
}

pub struct Scripted {
    dist: Distribution,
    servers: usize,
    /// After a resize: the previous list's distribution (its indexes are
    /// this transport's: one list is a prefix of the other).
    previous: Option<Distribution>,
    pub script: Mutex<Script>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

/// `ms K ME`, `mg K`, `md L C7` …: a command's verb, key kind (`K` the
/// session, `L` its lock) and what guards it.
pub fn short(c: &Command<'_>) -> String {
    let kind = |key: &[u8]| {
        if key.ends_with(b".lock") || key.windows(5).any(|w| w == b"lock.") {
            "L"
        } else {
            "K"
        }
    };
    match *c {
        Command::Get {
            key,
            touch: Some(_),
            ..
        } => format!("touch {}", kind(key)),
        Command::Get { key, .. } => format!("mg {}", kind(key)),
        Command::Set { key, mode, cas, .. } => match (mode, cas) {
            (SetMode::Add, _) => format!("ms {} ME", kind(key)),
            (_, Some(c)) => format!("ms {} C{c}", kind(key)),
            _ => format!("ms {}", kind(key)),
        },
        Command::Delete { key, cas } => match cas {
            Some(c) => format!("md {} C{c}", kind(key)),
            None => format!("md {}", kind(key)),
        },
        Command::Noop => "mn".into(),
        Command::StatsSettings => "stats".into(),
        Command::Auth(_) => "auth".into(),
    }
}

impl Transport for Scripted {
    fn execute_parallel(&self, jobs: &[Job<'_>]) -> Vec<Result<Vec<Reply>>> {
        let mut s = self.script.lock();
        s.log.push(
            jobs.iter()
                .map(|j| (j.server, j.cmds.iter().map(short).collect()))
                .collect(),
        );
        let Some(mut step) = s.steps.pop_front() else {
            panic!("an unscripted round trip: {:?}", s.log.last());
        };
        let Script { down, .. } = &mut *s;
        step(jobs, down)
    }
    fn distribution(&self) -> &Distribution {
        &self.dist
    }
    fn server_count(&self) -> usize {
        self.servers
    }
    fn previous_order(&self, hash_key: &[u8], max_probes: usize) -> Vec<usize> {
        self.previous
            .as_ref()
            .map_or_else(Vec::new, |d| d.probe_order(hash_key, max_probes))
    }
    fn label(&self, server: usize) -> String {
        format!("s{server}")
    }
    fn usable(&self, server: usize) -> bool {
        !self.script.lock().down.contains(&server)
    }
    fn down_error(&self, server: usize) -> Option<Error> {
        (!self.usable(server)).then(|| Error::ServerDown {
            server: self.label(server),
            retry_in_ms: 15_000,
        })
    }
    fn known_item_size_max(&self, _server: usize) -> Option<u64> {
        Some(1 << 20)
    }
    fn delete_when_back(&self, server: usize, key: Vec<u8>, value: Vec<u8>, _ttl_s: u32) {
        self.script
            .lock()
            .pending_deletes
            .push((server, key, value));
    }
    fn take_events(&self) -> Vec<String> {
        Vec::new()
    }
    fn execute(&self, server: usize, cmds: &[Command<'_>]) -> Result<Vec<Reply>> {
        let job = Job {
            server,
            cmds: cmds.to_vec(),
        };
        self.execute_parallel(std::slice::from_ref(&job))
            .pop()
            .unwrap_or_else(|| Ok(Vec::new()))
    }
    fn retry_interval(&self, _server: usize) -> Duration {
        Duration::from_secs(15)
    }
    fn send_unawaited(&self, server: usize, cmds: &[Command<'_>]) -> Result<()> {
        let mut s = self.script.lock();
        if s.down.contains(&server) {
            drop(s);
            return Err(self.down_error(server).unwrap_or(Error::ServerDown {
                server: self.label(server),
                retry_in_ms: 0,
            }));
        }
        let after = s.log.len();
        s.unawaited
            .push((after, server, cmds.iter().map(short).collect()));
        Ok(())
    }
}

/// A handler over 3 scripted servers with the given directives.
pub fn setup(directives: &[(&'static CStr, &str)]) -> (Handler, Arc<Scripted>) {
    setup_resized(directives, "a:1, b:2, c:3", None)
}

/// A handler over the scripted servers of save_path `now`, with `before` as
/// the previous list (one must be a prefix of the other, so the indexes
/// agree).
pub fn setup_resized(
    directives: &[(&'static CStr, &str)],
    now: &str,
    before: Option<&str>,
) -> (Handler, Arc<Scripted>) {
    let get = |name: &'static CStr| {
        directives
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    };
    let config = Config::load(get).expect("directives");
    let specs = save_path::parse(now).expect("save_path");
    let previous = before.map(|b| {
        let old = save_path::parse(b).expect("previous list");
        assert!(
            specs.starts_with(&old) || old.starts_with(&specs),
            "a prefix"
        );
        Distribution::new(config.pool.strategy, config.pool.function, &old)
    });
    let scripted = Arc::new(Scripted {
        dist: Distribution::new(config.pool.strategy, config.pool.function, &specs),
        servers: specs.len(),
        previous,
        script: Mutex::new(Script::default()),
    });
    let h = Handler::with_transport(scripted.clone(), &config);
    (h, scripted)
}

impl Scripted {
    pub fn then(
        &self,
        step: impl FnMut(&[Job<'_>], &mut Vec<usize>) -> Vec<Result<Vec<Reply>>> + Send + 'static,
    ) {
        self.script.lock().steps.push_back(Box::new(step));
    }

    /// Answers every command of the round trip with `f(server, command)`.
    pub fn answer(&self, mut f: impl FnMut(usize, &Command<'_>) -> Reply + Send + 'static) {
        self.then(move |jobs, _| {
            jobs.iter()
                .map(|j| Ok(j.cmds.iter().map(|c| f(j.server, c)).collect()))
                .collect()
        });
    }

    pub fn log(&self) -> Vec<Vec<(usize, Vec<String>)>> {
        self.script.lock().log.clone()
    }

    /// The commands sent unawaited so far: (round trips logged before,
    /// server, commands in short form).
    pub fn unawaited(&self) -> Vec<(usize, usize, Vec<String>)> {
        self.script.lock().unawaited.clone()
    }

    /// The last commands sent unawaited, with their server.
    pub fn last_unawaited(&self) -> (usize, Vec<String>) {
        let (_, server, cmds) = self.unawaited().pop().expect("something sent unawaited");
        (server, cmds)
    }

    pub fn unused_steps(&self) -> usize {
        self.script.lock().steps.len()
    }
}

pub fn hd(cas: u64) -> Reply {
    Reply::Done(Meta {
        cas: Some(cas),
        ..Meta::default()
    })
}

/// A session copy at `version` with CAS id `cas`.
pub fn copy(data: &[u8], version: u32, cas: u64) -> Reply {
    Reply::Value(
        data.to_vec(),
        Meta {
            ttl: Some(1000),
            cas: Some(cas),
            client_flags: Some(replica::flags_for(version)),
        },
    )
}

/// The value a lock add carried.
pub fn lock_value(c: &Command<'_>) -> Vec<u8> {
    match *c {
        Command::Set { value, .. } => value.to_vec(),
        _ => panic!("not a store: {}", short(c)),
    }
}

pub fn is_lock_add(c: &Command<'_>) -> bool {
    short(c) == "ms L ME"
}

pub fn ops(round: &[(usize, Vec<String>)]) -> Vec<String> {
    round.iter().flat_map(|(_, c)| c.clone()).collect()
}
