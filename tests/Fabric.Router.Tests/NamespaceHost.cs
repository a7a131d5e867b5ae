using System.Diagnostics;
using Fabric.Remote;
using Fabric.Remote.Channels;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;

namespace Fabric.Router.Tests;

/// <summary>Runs each command's argument list in the namespace with <c>ip netns exec</c>, as the router's SSH server
/// would (or, with no namespace, directly on this machine); files written to the router land under the test's folder,
/// and arguments, written files and channel input naming them are pointed there. Output lines reach
/// <see cref="RemoteRunOptions.Output"/>. <paramref name="path"/>, when given, is put first in the commands' PATH (programs
/// that stand in for the router's). Also compiled into tests/Fabric.Integration (the router filter with real traffic).</summary>
internal sealed class NamespaceHost(string? netns, string folder, string? path = null) : IRemoteHost
{
    public SshTarget Target { get; } = new("127.0.0.1", 22, "root", null);

    private ProcessStartInfo Start(RemoteCommand command)
    {
        var arguments = command.Arguments.Select(a => a.StartsWith("/run/fabric/", StringComparison.Ordinal) ? folder + a : a);
        var info = netns is null
            ? new ProcessStartInfo(arguments.First(), arguments.Skip(1))
            : new ProcessStartInfo("ip", ["netns", "exec", netns, .. arguments]);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = folder;
        if (path is not null)
        {
            info.Environment["PATH"] = $"{path}:{Environment.GetEnvironmentVariable("PATH")}";
        }

        return info;
    }

    /// <summary>The command with its standard input from the channel (what is written to it pointed at the test's folder
    /// like the arguments) and its standard output as the channel's.</summary>
    public Task<IRemoteChannel> OpenChannelAsync(RemoteCommand command, RemoteChannelOptions? options = null, CancellationToken cancellationToken = default)
    {
        var info = Start(command);
        info.RedirectStandardInput = true;
        var process = Process.Start(info)!;
        return Task.FromResult<IRemoteChannel>(new ProcessChannel(command, Target.ToString(), process, folder, options?.Error));
    }

    public async Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var info = Start(command);
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

    private sealed class ProcessChannel : IRemoteChannel
    {
        private readonly Process _process;
        private readonly string _folder;
        private readonly MemoryStream _input = new();
        private readonly Task<string> _error;

        public ProcessChannel(RemoteCommand command, string target, Process process, string folder, Action<string>? error)
        {
            Command = command;
            Target = target;
            _process = process;
            _folder = folder;
            _error = ReadErrorAsync(error);
            Completion = CompleteAsync();
        }

        public RemoteCommand Command { get; }

        public string Target { get; }

        public Stream Input => _input;

        public Stream Output => _process.StandardOutput.BaseStream;

        public Task<RemoteCommandResult> Completion { get; }

        public async Task CompleteInputAsync()
        {
            var text = System.Text.Encoding.UTF8.GetString(_input.ToArray()).Replace(" /run/fabric/", $" {_folder}/run/fabric/", StringComparison.Ordinal);
            await _process.StandardInput.WriteAsync(text);
            _process.StandardInput.Close();
        }

        private async Task<string> ReadErrorAsync(Action<string>? error)
        {
            var all = new System.Text.StringBuilder();
            while (await _process.StandardError.ReadLineAsync() is { } line)
            {
                all.Append(line).Append('\n');
                error?.Invoke(line);
            }

            return all.ToString();
        }

        private async Task<RemoteCommandResult> CompleteAsync()
        {
            await _process.WaitForExitAsync();
            return new RemoteCommandResult(Command, Target, _process.ExitCode, null, "", await _error, TimeSpan.Zero);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await ((Task)Completion).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _process.Dispose();
        }
    }
}
