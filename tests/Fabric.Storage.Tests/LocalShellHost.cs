using System.Diagnostics;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;

namespace Fabric.Storage.Tests;

/// <summary>Runs a command's argument list inside a network namespace with <c>ip netns exec</c>, as a storage node's SSH
/// server would run it, with <c>FABRIC_RUN</c> pointing the export scripts at the test's own folder.</summary>
internal sealed class LocalShellHost(string netns, string runFolder) : IRemoteHost
{
    public SshTarget Target { get; } = new("127.0.0.1", 22, "root", null);

    public async Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo("ip", ["netns", "exec", netns, .. command.Arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        info.Environment["FABRIC_RUN"] = runFolder;
        var started = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new RemoteCommandResult(command, Target.ToString(), process.ExitCode, null, await output, await error, started.Elapsed);
    }

    public Task UploadAsync(Stream content, string remotePath, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the export tests copy no files");

    public Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the export tests write no files");
}
