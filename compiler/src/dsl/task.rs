//! Handles to added steps and their per-task settings.

use std::cell::RefCell;
use std::rc::Rc;

use crate::ir::{
    Cond, EnvSource, Loop, Memoize, Mount, PipelineData, Resources, Retry, TaskLink, TaskNode,
    Toleration, Value, Volume,
};
use crate::location::Location;

#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    Task(usize),
    Exit(usize),
}

/// A step added to a pipeline: its typed outputs in [`Task::out`] and builder
/// methods for its container, scheduling and control flow.
///
/// Every method records the caller's location for diagnostics.
#[derive(Debug)]
pub struct Task<O> {
    /// The step's outputs, to wire into later steps.
    pub out: O,
    data: Rc<RefCell<PipelineData>>,
    slot: Slot,
}

/// Anything `.after()` can wait for.
pub trait AsTask {
    #[doc(hidden)]
    fn link(&self) -> Option<TaskLinkHandle>;
}

/// Opaque link to a task, for [`AsTask`].
#[derive(Debug)]
pub struct TaskLinkHandle(pub(crate) TaskLink);

impl<O> AsTask for Task<O> {
    fn link(&self) -> Option<TaskLinkHandle> {
        match self.slot {
            Slot::Task(index) => {
                let d = self.data.borrow();
                Some(TaskLinkHandle(TaskLink {
                    pipeline: d.id,
                    index,
                    name: d.tasks[index].name.clone(),
                }))
            }
            Slot::Exit(_) => None,
        }
    }
}

impl<O> Task<O> {
    pub(crate) fn new(out: O, data: Rc<RefCell<PipelineData>>, slot: Slot) -> Self {
        Self { out, data, slot }
    }

    fn edit(self, f: impl FnOnce(&mut TaskNode)) -> Self {
        {
            let mut d = self.data.borrow_mut();
            let node = match self.slot {
                Slot::Task(i) => d.tasks.get_mut(i),
                Slot::Exit(i) => d.exits.get_mut(i),
            };
            if let Some(node) = node {
                f(node);
            }
        }
        self
    }

    /// The task's name.
    pub fn name(&self) -> String {
        let d = self.data.borrow();
        match self.slot {
            Slot::Task(i) => d.tasks[i].name.clone(),
            Slot::Exit(i) => d.exits.get(i).map(|n| n.name.clone()).unwrap_or_default(),
        }
    }

    /// Applies `f` when `condition` holds: for settings that differ between
    /// variants of a pipeline (`task.apply_if(on_cluster, |t| t.gpus(1))`).
    pub fn apply_if(self, condition: bool, f: impl FnOnce(Self) -> Self) -> Self {
        if condition { f(self) } else { self }
    }

    /// Runs this task only after `other` finished (artifact inputs already
    /// imply this; use it for ordering without data).
    #[track_caller]
    pub fn after(self, other: &impl AsTask) -> Self {
        let location = Location::caller();
        match other.link() {
            Some(link) => self.edit(|n| n.after.push((link.0, location))),
            None => self,
        }
    }

    /// Runs the task in `image` instead of the pipeline's image.
    pub fn image(self, image: impl Into<String>) -> Self {
        let image = image.into();
        self.edit(|n| n.settings.image = Some(image))
    }

    /// `Always`, `IfNotPresent` or `Never`.
    pub fn image_pull_policy(self, policy: impl Into<String>) -> Self {
        let policy = policy.into();
        self.edit(|n| n.settings.image_pull_policy = Some(policy))
    }

    /// Requests CPU (e.g. `"500m"`, `"2"`).
    pub fn cpu(self, quantity: impl Into<String>) -> Self {
        self.resources(Resources::default().request("cpu", quantity))
    }

    /// Requests memory (e.g. `"4Gi"`).
    pub fn memory(self, quantity: impl Into<String>) -> Self {
        self.resources(Resources::default().request("memory", quantity))
    }

    /// Limits memory.
    pub fn memory_limit(self, quantity: impl Into<String>) -> Self {
        self.resources(Resources::default().limit("memory", quantity))
    }

    /// Asks for `count` NVIDIA GPUs (`nvidia.com/gpu`).
    pub fn gpus(self, count: u32) -> Self {
        self.resources(Resources::default().gpus(count))
    }

    /// Adds requests and limits.
    pub fn resources(self, resources: Resources) -> Self {
        self.edit(|n| n.settings.resources.merge(resources))
    }

    /// Schedules the task only on nodes labelled `key=value`.
    pub fn node_selector(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (k, v) = (key.into(), value.into());
        self.edit(|n| {
            n.settings.node_selector.insert(k, v);
        })
    }

    /// Lets the task run on nodes with a matching taint.
    pub fn toleration(self, toleration: Toleration) -> Self {
        self.edit(|n| n.settings.tolerations.push(toleration))
    }

    /// Sets environment variable `name` (a literal or a run-time value).
    #[track_caller]
    pub fn env(self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let (name, value, location) = (name.into(), value.into(), Location::caller());
        self.edit(|n| {
            let pieces = n.bind(&value, location);
            n.settings.env.push((name, EnvSource::Value(pieces)));
        })
    }

    /// Sets environment variable `name` from key `key` of secret `secret`.
    pub fn env_secret(
        self,
        name: impl Into<String>,
        secret: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        let (name, secret, key) = (name.into(), secret.into(), key.into());
        self.edit(|n| {
            n.settings
                .env
                .push((name, EnvSource::Secret { secret, key }))
        })
    }

    /// Mounts volume `volume` (declared on the pipeline or this task) at `path`, read-only.
    #[track_caller]
    pub fn mount(self, volume: impl Into<String>, path: impl Into<String>) -> Self {
        self.mount_with(volume.into(), path.into(), true, Location::caller())
    }

    /// Mounts volume `volume` at `path`, writable.
    #[track_caller]
    pub fn mount_writable(self, volume: impl Into<String>, path: impl Into<String>) -> Self {
        self.mount_with(volume.into(), path.into(), false, Location::caller())
    }

    fn mount_with(self, volume: String, path: String, read_only: bool, location: Location) -> Self {
        self.edit(|n| {
            n.settings.mounts.push((
                Mount {
                    volume,
                    path,
                    read_only,
                },
                location,
            ))
        })
    }

    /// Declares a volume for this task only.
    #[track_caller]
    pub fn volume(self, volume: Volume) -> Self {
        let location = Location::caller();
        self.edit(|n| n.settings.volumes.push((volume, location)))
    }

    /// An annotation on the task's pod.
    pub fn annotation(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (k, v) = (key.into(), value.into());
        self.edit(|n| {
            n.settings.annotations.insert(k, v);
        })
    }

    /// A label on the task's pod.
    pub fn label(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (k, v) = (key.into(), value.into());
        self.edit(|n| {
            n.settings.labels.insert(k, v);
        })
    }

    /// Retries the task on failure.
    pub fn retry(self, retry: Retry) -> Self {
        self.edit(|n| n.settings.retry = Some(retry))
    }

    /// Fails the task when it runs longer than `seconds` (`activeDeadlineSeconds`).
    pub fn timeout_seconds(self, seconds: i64) -> Self {
        self.edit(|n| n.settings.timeout_seconds = Some(seconds))
    }

    /// Runs the task only when `cond` holds (Argo `when`).
    #[track_caller]
    pub fn when(self, cond: Cond) -> Self {
        let location = Location::caller();
        self.edit(|n| n.settings.when = Some((cond, location)))
    }

    /// Runs the task once per item, in parallel (`withItems`); the step sees
    /// the item through [`Value::Item`].
    #[track_caller]
    pub fn with_items<I: Into<serde_json::Value>>(
        self,
        items: impl IntoIterator<Item = I>,
    ) -> Self {
        let location = Location::caller();
        let items = items.into_iter().map(Into::into).collect();
        self.edit(|n| n.settings.looped = Some((Loop::Items(items), location)))
    }

    /// Runs the task once per element of a JSON list known at run time
    /// (`withParam`), e.g. another step's output parameter.
    #[track_caller]
    pub fn with_param(self, list: impl Into<Value>) -> Self {
        let (list, location) = (list.into(), Location::caller());
        self.edit(|n| n.settings.looped = Some((Loop::Param(list), location)))
    }

    /// Declares the version of the step's code, as Flyte's
    /// `cache_version` and Dagster's `code_version` do: a local run's
    /// cache keys the step by it instead of by the program's bytes, so
    /// rebuilding the program for another step's sake does not run this
    /// one again. Change it when the step's code changes. Without it, any
    /// change to the program runs the step again (the safe default).
    pub fn code_version(self, version: impl Into<String>) -> Self {
        let version = version.into();
        self.edit(|n| n.settings.code_version = Some(version))
    }

    /// Whether a run may reuse this task's outputs from an earlier run with
    /// the same inputs instead of running it: KFP's execution cache (on by
    /// default, as kfp compiles every task; `false` is kfp's
    /// `set_caching_options(enable_caching=False)`) and a local run's cache.
    /// Turn it off for a step whose result depends on more than its inputs:
    /// one that reads a remote (a git branch, an API) or acts on the world.
    /// Argo caches only what [`memoize`](Self::memoize)s, which this does
    /// not change.
    pub fn cache(self, enabled: bool) -> Self {
        self.edit(|n| n.settings.no_cache = !enabled)
    }

    /// Caches the task's outputs (Argo memoization).
    #[track_caller]
    pub fn memoize(self, memoize: Memoize) -> Self {
        let location = Location::caller();
        self.edit(|n| {
            let key = n.bind(&memoize.key, location);
            n.settings.memoize = Some((memoize, key));
        })
    }
}
