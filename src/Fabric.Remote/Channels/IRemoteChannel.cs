using Fabric.Remote.Commands;

namespace Fabric.Remote.Channels;

/// <summary>A command running on a node with its standard input and output open to Fabric as byte streams, e.g.
/// <c>socat - UNIX-CONNECT:/run/fabric/instances/NAME/qmp.sock</c> carrying QMP. Bytes pass unchanged both ways (no
/// terminal). Disposing it closes the command's input, then the channel, and the command is stopped on the node.</summary>
public interface IRemoteChannel : IAsyncDisposable
{
    /// <summary>What runs.</summary>
    RemoteCommand Command { get; }

    /// <summary>Where it runs (<c>user@host:port</c>).</summary>
    string Target { get; }

    /// <summary>The command's standard input. Writes fail with <see cref="IOException"/> once the channel is closed;
    /// <see cref="CompleteInputAsync"/> sends end-of-file.</summary>
    Stream Input { get; }

    /// <summary>The command's standard output; a read returns 0 once the command closed it or the channel ended.</summary>
    Stream Output { get; }

    /// <summary>Ends when the command has exited (its exit code and signal; standard output is in <see cref="Output"/>,
    /// not in the result; standard error is kept as for <c>RunAsync</c>). Faults with
    /// <see cref="RemoteCommandTimeoutException"/> after the timeout, <see cref="OperationCanceledException"/> on
    /// cancellation and <see cref="RemoteHostException"/> (<see cref="RemoteFailure.ConnectionLost"/>) when the
    /// connection broke; in all three cases the command is stopped.</summary>
    Task<RemoteCommandResult> Completion { get; }

    /// <summary>Sends end-of-file on the command's standard input (it may still write output and exit on its own).</summary>
    Task CompleteInputAsync();
}

/// <summary>How to open one channel.</summary>
/// <param name="Timeout">How long the channel may stay open; null means the host's default
/// (<see cref="RemoteOptions.CommandTimeout"/>), <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> no limit (a QMP
/// session that lives as long as its owner).</param>
/// <param name="Error">Called with each line of the command's standard error as it arrives.</param>
public sealed record RemoteChannelOptions(TimeSpan? Timeout = null, Action<string>? Error = null);
