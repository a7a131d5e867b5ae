using System.Diagnostics;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;

namespace Fabric.Router.Tests;

/// <summary>Runs each command's argument list in the namespace with <c>ip netns exec</c>, as the router's SSH server
/// would (or, with no namespace, directly on this machine); files written to the router land under the test's folder,
/// and arguments and written files naming them are pointed there. Output lines reach <see cref="RemoteRunOptions.Output"/>.
/// Also compiled into tests/Fabric.Integration (the router filter with real traffic).</summary>
internal sealed class NamespaceHost(string? netns, string folder) : IRemoteHost
{
    public SshTarget Target { get; } = new("127.0.0.1", 22, "root", null);

    public async Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var arguments = command.Arguments.Select(a => a.StartsWith("/run/fabric/", StringComparison.Ordinal) ? folder + a : a);
        var info = netns is null
            ? new ProcessStartInfo(arguments.First(), arguments.Skip(1))
            : new ProcessStartInfo("ip", ["netns", "exec", netns, .. arguments]);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = folder;
        var started = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var output = ReadLinesAsync(process.StandardOutput, RemoteStream.StandardOutput);
        var error = ReadLinesAsync(process.StandardError, RemoteStream.StandardError);
        await process.WaitForExitAsync(cancellationToken);
        return new RemoteCommandResult(command, Target.ToString(), process.ExitCode, null, await output, await error, started.Elapsed);

        async Task<string> ReadLinesAsync(StreamReader reader, RemoteStream stream)
        {
            var all = new System.Text.StringBuilder();
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                all.Append(line).Append('\n');
                options?.Output?.Invoke(new RemoteOutputLine(stream, line));
            }

            return all.ToString();
        }
    }

    public Task UploadAsync(Stream content, string remotePath, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the router is sent no uploads");

    public async Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default)
    {
        var path = folder + remotePath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = System.Text.Encoding.UTF8.GetString(content.Span).Replace(" /run/fabric/", $" {folder}/run/fabric/", StringComparison.Ordinal);
        await File.WriteAllTextAsync(path, text, cancellationToken);
    }
}
