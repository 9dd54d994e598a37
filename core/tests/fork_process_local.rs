//! Issue 24 item 6, in a test binary of its own because it forks: PHP-FPM,
//! gunicorn `--preload` and `pcntl_fork` fork a process whose other threads
//! may be half-way through building a per-process value (the runtime, the
//! HTTP client, a store's pool). The child must build its own, not wait
//! forever on something a thread that does not exist in it was holding.

use dargah_core::ProcessLocal;
use std::sync::mpsc;
use std::time::{Duration, Instant};

static VALUE: ProcessLocal<u32> = ProcessLocal::new();

#[test]
fn a_fork_while_another_thread_initialises_a_process_local_value_does_not_deadlock_the_child() {
    let (entered, in_init) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let initialiser = std::thread::spawn(move || {
        *VALUE
            .get_or_try_init(|| {
                entered.send(()).unwrap();
                released.recv().unwrap();
                Ok(1)
            })
            .unwrap()
    });
    in_init.recv().unwrap(); // the other thread sits in `init` now

    // SAFETY: the child only builds its value (malloc is fork-safe in glibc) and leaves with _exit.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork failed");
    if child == 0 {
        let built_its_own = matches!(VALUE.get_or_try_init(|| Ok(2)), Ok(v) if *v == 2);
        unsafe { libc::_exit(if built_its_own { 0 } else { 1 }) };
    }

    release.send(()).unwrap();
    assert_eq!(initialiser.join().unwrap(), 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut status = 0;
    while unsafe { libc::waitpid(child, &mut status, libc::WNOHANG) } != child {
        if Instant::now() > deadline {
            unsafe {
                libc::kill(child, libc::SIGKILL);
                libc::waitpid(child, &mut status, 0);
            }
            panic!("the child deadlocked: it waited on a lock the initialising thread held at the fork");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child built its own value (status {status})");
    assert_eq!(*VALUE.get_or_try_init(|| Ok(3)).unwrap(), 1, "the parent keeps the value its thread built");
}
