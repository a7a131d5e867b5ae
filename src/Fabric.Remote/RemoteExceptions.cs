using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;

namespace Fabric.Remote;

/// <summary>Why Fabric could not run anything on a host.</summary>
public enum RemoteFailure
{
    /// <summary>The target's address, port or user is not valid.</summary>
    InvalidTarget,

    /// <summary>The target has no pinned host key: nothing is run (no trust on first use).</summary>
    HostKeyNotPinned,

    /// <summary>The server presented another host key than the pinned one: nothing is run.</summary>
    HostKeyMismatch,

    /// <summary>No SSH connection could be made, after the retries.</summary>
    Unreachable,

    /// <summary>The server did not accept Fabric's key.</summary>
    AuthenticationFailed,

    /// <summary>The connection broke while a command or transfer was under way.</summary>
    ConnectionLost,

    /// <summary>An SFTP transfer or file operation failed (missing folder, no space, permission).</summary>
    TransferFailed,
}

/// <summary>Nothing (more) could be done on a host. The message names the target and the reason.</summary>
public class RemoteHostException : Exception
{
    public RemoteHostException(RemoteFailure failure, string target, string reason, Exception? innerException = null)
        : base($"{target}: {reason}", innerException)
    {
        Failure = failure;
        Target = target;
        Reason = reason;
    }

    public RemoteFailure Failure { get; }

    /// <summary><c>user@host:port</c>.</summary>
    public string Target { get; }

    public string Reason { get; }
}

/// <summary>The server's host key is not the pinned one, or it has no key of the pinned type. Nothing ran; callers record
/// an event of kind <see cref="EventKind"/> and fail the job.</summary>
public sealed class HostKeyMismatchException : RemoteHostException
{
    /// <summary>The event kind recorded against the node.</summary>
    public const string EventKind = "ssh-host-key-mismatch";

    /// <summary>The server presented <paramref name="presentedType"/> key <paramref name="presentedFingerprint"/>.</summary>
    public HostKeyMismatchException(string target, HostKey expected, string presentedType, string presentedFingerprint)
        : this(target, expected, presentedType, presentedFingerprint,
            $"host key mismatch: expected {expected.Type} {expected.Fingerprint}, the server presented {presentedType} {presentedFingerprint}; nothing was run")
    {
    }

    private HostKeyMismatchException(string target, HostKey expected, string presentedType, string presentedFingerprint, string reason)
        : base(RemoteFailure.HostKeyMismatch, target, reason)
    {
        Expected = expected;
        PresentedType = presentedType;
        PresentedFingerprint = presentedFingerprint;
    }

    public HostKey Expected { get; }

    /// <summary>The type of the key the server presented, or the types it offers when it has none of the pinned type.</summary>
    public string PresentedType { get; }

    /// <summary>The presented key's fingerprint; empty when the server has no key of the pinned type.</summary>
    public string PresentedFingerprint { get; }

    /// <summary>The server has no host key of the pinned type (it offers <paramref name="offered"/>).</summary>
    public static HostKeyMismatchException NoKeyOfPinnedType(string target, HostKey expected, string offered) =>
        new(target, expected, offered, "",
            $"host key mismatch: expected {expected.Type} {expected.Fingerprint}, the server has no {expected.Type} host key (it offers {offered}); nothing was run");
}

/// <summary>A command ran longer than its timeout; its channel was closed and the remote process signalled.</summary>
public sealed class RemoteCommandTimeoutException(RemoteCommand command, string target, TimeSpan timeout)
    : TimeoutException($"{target}: '{command}' did not finish within {timeout.TotalSeconds:0.###} s and was stopped")
{
    public RemoteCommand Command { get; } = command;

    public string Target { get; } = target;

    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>Thrown by <see cref="RemoteCommandResult.EnsureSuccess"/> for a command that did not exit 0.</summary>
public sealed class RemoteCommandFailedException(RemoteCommandResult result)
    : Exception($"{result.Target}: '{result.Command}' {(result.ExitSignal is { } signal ? $"was ended by signal {signal}" : $"exited {result.ExitCode}")}"
        + (LastLine(result.StandardError) is { Length: > 0 } line ? $": {line}" : ""))
{
    public RemoteCommandResult Result { get; } = result;

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
}
