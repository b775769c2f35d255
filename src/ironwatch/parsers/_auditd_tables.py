"""Static tables of the auditd parser: record type numbers and names, x86_64 system calls,
architectures, and the ECS category/type/action of record types and system calls."""

from __future__ import annotations

def _numbered(table: str) -> dict[int, str]:
    """``{number: name}`` of names in numeric order: a number sets the next name's number,
    ``-`` skips one."""
    names: dict[int, str] = {}
    number = 0
    for word in table.split():
        if word.isdigit():
            number = int(word)
            continue
        if word != "-":
            names[number] = word
        number += 1
    return names


#: record type numbers (linux/audit.h, libaudit.h)
_TYPE_RANGES = """
1005 USER LOGIN 1100 USER_AUTH USER_ACCT USER_MGMT CRED_ACQ CRED_DISP USER_START USER_END USER_AVC
USER_CHAUTHTOK USER_ERR CRED_REFR USYS_CONFIG USER_LOGIN USER_LOGOUT ADD_USER DEL_USER ADD_GROUP
DEL_GROUP DAC_CHECK CHGRP_ID TEST TRUSTED_APP USER_SELINUX_ERR USER_CMD USER_TTY CHUSER_ID GRP_AUTH
SYSTEM_BOOT SYSTEM_SHUTDOWN SYSTEM_RUNLEVEL SERVICE_START SERVICE_STOP GRP_MGMT GRP_CHAUTHTOK
MAC_CHECK ACCT_LOCK ACCT_UNLOCK USER_DEVICE SOFTWARE_UPDATE 1200 DAEMON_START DAEMON_END
DAEMON_ABORT DAEMON_CONFIG DAEMON_RECONFIG DAEMON_ROTATE DAEMON_RESUME DAEMON_ACCEPT DAEMON_CLOSE
DAEMON_ERR 1300 SYSCALL FS_WATCH PATH IPC SOCKETCALL CONFIG_CHANGE SOCKADDR CWD - EXECVE -
IPC_SET_PERM MQ_OPEN MQ_SENDRECV MQ_NOTIFY MQ_GETSETATTR KERNEL_OTHER FD_PAIR OBJ_PID TTY EOE
BPRM_FCAPS CAPSET MMAP NETFILTER_PKT NETFILTER_CFG SECCOMP PROCTITLE FEATURE_CHANGE REPLACE
KERN_MODULE FANOTIFY TIME_INJOFFSET TIME_ADJNTPVAL BPF EVENT_LISTENER URINGOP OPENAT2 DM_CTRL
DM_EVENT 1400 AVC SELINUX_ERR AVC_PATH MAC_POLICY_LOAD MAC_STATUS MAC_CONFIG_CHANGE 1500 -
APPARMOR_AUDIT APPARMOR_ALLOWED APPARMOR_DENIED APPARMOR_HINT APPARMOR_STATUS APPARMOR_ERROR 1700
ANOM_PROMISCUOUS ANOM_ABEND ANOM_LINK ANOM_CREAT 2000 KERNEL 2100 ANOM_LOGIN_FAILURES
ANOM_LOGIN_TIME ANOM_LOGIN_SESSIONS ANOM_LOGIN_ACCT ANOM_LOGIN_LOCATION ANOM_MAX_DAC ANOM_MAX_MAC
ANOM_AMTU_FAIL ANOM_RBAC_FAIL ANOM_RBAC_INTEGRITY_FAIL ANOM_CRYPTO_FAIL ANOM_ACCESS_FS ANOM_EXEC
ANOM_MK_EXEC ANOM_ADD_ACCT ANOM_DEL_ACCT ANOM_MOD_ACCT ANOM_ROOT_TRANS ANOM_LOGIN_SERVICE 2300
USER_ROLE_CHANGE ROLE_ASSIGN ROLE_REMOVE LABEL_OVERRIDE LABEL_LEVEL_CHANGE USER_LABELED_EXPORT
USER_UNLABELED_EXPORT DEV_ALLOC DEV_DEALLOC FS_RELABEL USER_MAC_POLICY_LOAD ROLE_MODIFY
USER_MAC_CONFIG_CHANGE USER_MAC_STATUS 2400 CRYPTO_TEST_USER CRYPTO_PARAM_CHANGE_USER CRYPTO_LOGIN
CRYPTO_LOGOUT CRYPTO_KEY_USER CRYPTO_FAILURE_USER CRYPTO_REPLAY_USER CRYPTO_SESSION CRYPTO_IKE_SA
CRYPTO_IPSEC_SA 2500 VIRT_CONTROL VIRT_RESOURCE VIRT_MACHINE_ID VIRT_INTEGRITY_CHECK VIRT_CREATE
VIRT_DESTROY VIRT_MIGRATE_IN VIRT_MIGRATE_OUT
"""
TYPE_NAMES = _numbered(_TYPE_RANGES)
TYPE_NUMBERS = {name: number for number, name in TYPE_NAMES.items()}

#: x86_64 system call numbers (asm/unistd_64.h); other architectures keep the number
_X86_64 = """
0 read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction
rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select sched_yield
mremap msync mincore madvise shmget shmat shmctl dup dup2 pause nanosleep getitimer alarm setitimer
getpid sendfile socket connect accept sendto recvfrom sendmsg recvmsg shutdown bind listen
getsockname getpeername socketpair setsockopt getsockopt clone fork vfork execve exit wait4 kill
uname semget semop semctl shmdt msgget msgsnd msgrcv msgctl fcntl flock fsync fdatasync truncate
ftruncate getdents getcwd chdir fchdir rename mkdir rmdir creat link unlink symlink readlink chmod
fchmod chown fchown lchown umask gettimeofday getrlimit getrusage sysinfo times ptrace getuid
syslog getgid setuid setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid
getgroups setgroups setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget
capset rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack utime mknod uselib
personality ustat statfs fstatfs sysfs getpriority setpriority sched_setparam sched_getparam
sched_setscheduler sched_getscheduler sched_get_priority_max sched_get_priority_min
sched_rr_get_interval mlock munlock mlockall munlockall vhangup modify_ldt pivot_root _sysctl prctl
arch_prctl adjtimex setrlimit chroot sync acct settimeofday mount umount2 swapon swapoff reboot
sethostname setdomainname iopl ioperm create_module init_module delete_module get_kernel_syms
query_module quotactl nfsservctl getpmsg putpmsg afs_syscall tuxcall security gettid readahead
setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr
removexattr lremovexattr fremovexattr tkill time futex sched_setaffinity sched_getaffinity
set_thread_area io_setup io_destroy io_getevents io_submit io_cancel get_thread_area lookup_dcookie
epoll_create epoll_ctl_old epoll_wait_old remap_file_pages getdents64 set_tid_address
restart_syscall semtimedop fadvise64 timer_create timer_settime timer_gettime timer_getoverrun
timer_delete clock_settime clock_gettime clock_getres clock_nanosleep exit_group epoll_wait
epoll_ctl tgkill utimes vserver mbind set_mempolicy get_mempolicy mq_open mq_unlink mq_timedsend
mq_timedreceive mq_notify mq_getsetattr kexec_load waitid add_key request_key keyctl ioprio_set
ioprio_get inotify_init inotify_add_watch inotify_rm_watch migrate_pages openat mkdirat mknodat
fchownat futimesat newfstatat unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat
pselect6 ppoll unshare set_robust_list get_robust_list splice tee sync_file_range vmsplice
move_pages utimensat epoll_pwait signalfd timerfd_create eventfd fallocate timerfd_settime
timerfd_gettime accept4 signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev
rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init fanotify_mark prlimit64 name_to_handle_at
open_by_handle_at clock_adjtime syncfs sendmmsg setns getcpu process_vm_readv process_vm_writev
kcmp finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create
kexec_file_load bpf execveat userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2
pkey_mprotect pkey_alloc pkey_free statx io_pgetevents rseq 424 pidfd_send_signal io_uring_setup
io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open
clone3 close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr
quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret
process_mrelease futex_waitv set_mempolicy_home_node
"""
SYSCALLS_X86_64 = {str(number): name for number, name in _numbered(_X86_64).items()}
ARCHES = {"c000003e": "x86_64", "40000003": "i386", "c00000b7": "aarch64", "40000028": "arm",
          "80000015": "ppc64", "c0000015": "ppc64le", "80000016": "s390x", "16": "s390",
          "c00000f3": "riscv64", "40000008": "mips", "c0000008": "mips64"}


_Shape = tuple[list[str], list[str], str]


def _shapes(table: str) -> dict[str, _Shape]:
    """Rows of ``names category types action`` (comma-separated lists), two to a line."""
    words = table.split()
    return {name: (words[i + 1].split(","), words[i + 2].split(","), words[i + 3])
            for i in range(0, len(words), 4) for name in words[i].split(",")}


#: record type → event.category, event.type and event.action, after go-libaudit
TYPE_SHAPES = _shapes("""
USER_LOGIN authentication start logged-in      USER_LOGOUT authentication end logged-out
USER_AUTH authentication info authenticated    USER_ACCT authentication info was-authorized
USER_ERR authentication info error             LOGIN authentication start changed-login-id-to
CRED_ACQ authentication info acquired-credentials
CRED_DISP authentication info disposed-credentials
CRED_REFR authentication info refreshed-credentials
USER_START session start started-session       USER_END session end ended-session
USER_CHAUTHTOK iam user,change changed-password
ADD_USER iam user,creation added-user-account  DEL_USER iam user,deletion deleted-user-account
USER_MGMT iam user,change modified-user-account
ACCT_LOCK iam user,change locked-account       ACCT_UNLOCK iam user,change unlocked-account
ADD_GROUP iam group,creation added-group-account-to
DEL_GROUP iam group,deletion deleted-group-account-from
GRP_MGMT iam group,change modified-group-account
USER_CMD process start ran-command             SERVICE_START process start started-service
SERVICE_STOP process end stopped-service       SYSTEM_BOOT host start booted-system
SYSTEM_SHUTDOWN host end shutdown-system       SYSTEM_RUNLEVEL host change changed-to-runlevel
DAEMON_START process start started-audit       DAEMON_END process end stopped-audit
DAEMON_ABORT process end aborted-auditd-startup
CONFIG_CHANGE process,configuration change changed-audit-configuration
NETFILTER_CFG configuration change loaded-firewall-rule-to
AVC file info violated-mac-policy              USER_AVC file info access-permission
SECCOMP process info violated-seccomp-policy
ANOM_ABEND process,intrusion_detection end,info crashed-program
ANOM_PROMISCUOUS process,intrusion_detection change,info changed-promiscuous-mode-on-device
TIME_INJOFFSET,TIME_ADJNTPVAL host change changed-system-time
MAC_STATUS configuration change changed-selinux-enforcement
MAC_POLICY_LOAD configuration change loaded-selinux-policy
CRYPTO_KEY_USER process info negotiated-crypto-key
CRYPTO_SESSION process info started-crypto-session
""")
#: x86_64 system call name → event.category, event.type and event.action
SYSCALL_SHAPES = _shapes("""
execve,execveat process start executed         connect network connection,start connected-to
accept,accept4 network connection,start accepted-connection-from
bind network start bound-socket                listen network start listen-for-connections
unlink,unlinkat,rmdir file deletion deleted    rename,renameat,renameat2 file change renamed
mkdir,mkdirat file creation created-directory  link,linkat,symlink,symlinkat file creation linked
mknod,mknodat file creation make-device        open,openat,openat2 file access opened-file
chmod,fchmod,fchmodat file change changed-file-permissions-of
chown,fchown,lchown,fchownat file change changed-file-ownership-of
creat file creation opened-file                truncate,ftruncate file change truncated
mount file creation mounted                    umount2 file deletion unmounted
settimeofday,clock_settime,adjtimex,clock_adjtime host change changed-system-time
init_module,finit_module driver start loaded-kernel-module
delete_module driver end unloaded-kernel-module
ptrace process access traced-process           kill,tkill,tgkill process end killed-pid
setuid,setreuid,setresuid,setgid,setregid,setresgid iam change changed-identity-of
sethostname,setdomainname host change set-hostname
""")


# --- grouping the lines of an audit.log -------------------------------------------------

#: events open at once before the oldest is taken as complete (go-libaudit's reassembler
#: keeps a window of in-flight serials the same way; records of one event can arrive out
#: of order, so the window, not the records' times, decides)
