using System.Diagnostics;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;

namespace Fabric.Router.Tests;

/// <summary>Runs each command's argument list in the namespace with <c>ip netns exec</c>, as the router's SSH server
/// would; files written to the router land under the test's folder, and arguments naming them are pointed there.</summary>
internal sealed class NamespaceHost(string netns, string folder) : IRemoteHost
{
    public SshTarget Target { get; } = new("127.0.0.1", 22, "root", Fixtures.Pin);

    public async Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var arguments = command.Arguments.Select(a => a.StartsWith("/run/fabric/", StringComparison.Ordinal) ? folder + a : a);
        var info = new ProcessStartInfo("ip", ["netns", "exec", netns, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var started = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new RemoteCommandResult(command, Target.ToString(), process.ExitCode, null, await output, await error, started.Elapsed);
    }

    public Task UploadAsync(Stream content, string remotePath, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the router is sent no uploads");

    public async Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default)
    {
        var path = folder + remotePath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, content.ToArray(), cancellationToken);
    }
}
