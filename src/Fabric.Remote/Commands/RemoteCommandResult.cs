namespace Fabric.Remote.Commands;

/// <summary>Which stream a line of a command's output came from.</summary>
public enum RemoteStream
{
    StandardOutput,
    StandardError,
}

/// <summary>One line of a running command's output (without its line ending).</summary>
public readonly record struct RemoteOutputLine(RemoteStream Stream, string Text);

/// <summary>How to run one command.</summary>
/// <param name="Timeout">How long it may run; null means the host's default (<see cref="RemoteOptions.CommandTimeout"/>).</param>
/// <param name="Output">Called with each output line as it arrives, e.g. to append it to a job's log.</param>
public sealed record RemoteRunOptions(TimeSpan? Timeout = null, Action<RemoteOutputLine>? Output = null);

/// <summary>A command that ran to its end. A non-zero exit is a value here, not an exception: see <see cref="EnsureSuccess"/>.</summary>
/// <param name="Command">What ran.</param>
/// <param name="Target">Where it ran (<c>user@host:port</c>).</param>
/// <param name="ExitCode">The exit status; -1 when the command was ended by a signal.</param>
/// <param name="ExitSignal">The signal that ended it (e.g. <c>KILL</c>), or null.</param>
/// <param name="StandardOutput">Its standard output (the first <see cref="MaxCapturedChars"/> characters).</param>
/// <param name="StandardError">Its standard error (the first <see cref="MaxCapturedChars"/> characters).</param>
/// <param name="Elapsed">Time from start to exit.</param>
public sealed record RemoteCommandResult(
    RemoteCommand Command,
    string Target,
    int ExitCode,
    string? ExitSignal,
    string StandardOutput,
    string StandardError,
    TimeSpan Elapsed)
{
    /// <summary>Output kept per stream; the <see cref="RemoteRunOptions.Output"/> callback sees all of it.</summary>
    public const int MaxCapturedChars = 1024 * 1024;

    public bool Succeeded => ExitCode == 0 && ExitSignal is null;

    /// <summary>This result when the command exited 0, otherwise a <see cref="RemoteCommandFailedException"/>.</summary>
    public RemoteCommandResult EnsureSuccess() => Succeeded ? this : throw new RemoteCommandFailedException(this);
}
