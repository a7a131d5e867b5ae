using Fabric.Remote.Channels;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;

namespace Fabric.Remote;

/// <summary>Runs commands on, and copies files to, one node.</summary>
public interface IRemoteHost
{
    /// <summary>The node this host runs commands on.</summary>
    SshTarget Target { get; }

    /// <summary>Runs one command and returns its exit code and output. Throws <see cref="RemoteHostException"/> when it
    /// could not run (unreachable after retries, host key mismatch, connection lost), <see cref="RemoteCommandTimeoutException"/>
    /// after the timeout and <see cref="OperationCanceledException"/> on cancellation; in both last cases the remote
    /// command is stopped.</summary>
    Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Starts a command and keeps its standard input and output open as streams (<see cref="IRemoteChannel"/>),
    /// on the host's pooled connection, with the same host key pinning as <see cref="RunAsync"/>. Throws
    /// <see cref="RemoteHostException"/> when it could not start; <paramref name="cancellationToken"/> covers the channel's
    /// whole life (cancelling it closes the channel and stops the command). A host that cannot stream throws
    /// <see cref="NotSupportedException"/>.</summary>
    Task<IRemoteChannel> OpenChannelAsync(RemoteCommand command, RemoteChannelOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} cannot open a streaming channel");

    /// <summary>Copies <paramref name="content"/> to <paramref name="remotePath"/> over SFTP: written under a temporary
    /// name in the same folder and renamed at the end, so the path holds either the old file or the whole new one.
    /// <paramref name="progress"/> receives the bytes sent so far.</summary>
    Task UploadAsync(Stream content, string remotePath, IProgress<long>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Replaces a small file (a configuration file) atomically: temporary file, mode, rename.</summary>
    Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default);
}

/// <summary>Hands out an <see cref="IRemoteHost"/> per target; connections are kept and reused per target.</summary>
public interface IRemoteHosts : IAsyncDisposable
{
    /// <summary>The host for a target. Throws <see cref="RemoteHostException"/> (<see cref="RemoteFailure.HostKeyNotPinned"/>,
    /// <see cref="RemoteFailure.InvalidTarget"/>) for a target that must not be connected to.</summary>
    IRemoteHost For(SshTarget target);
}

/// <summary>Constants for remote files.</summary>
public static class RemoteFiles
{
    /// <summary>rw-r--r--.</summary>
    public const UnixFileMode DefaultMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
}
