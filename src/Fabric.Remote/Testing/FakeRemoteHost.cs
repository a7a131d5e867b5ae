using System.Collections.Concurrent;
using Fabric.Remote.Channels;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;

namespace Fabric.Remote.Testing;

/// <summary>A scripted answer of <see cref="FakeRemoteHost"/>: an exit code with output, or an exception to throw
/// (e.g. a <see cref="HostKeyMismatchException"/>), or a command that runs until it is cancelled.</summary>
public sealed record FakeReply(int ExitCode = 0, string StandardOutput = "", string StandardError = "", Exception? Throws = null, bool RunsUntilCancelled = false)
{
    public static FakeReply Ok(string standardOutput = "") => new(0, standardOutput);

    public static FakeReply Fail(int exitCode, string standardError = "") => new(exitCode, "", standardError);
}

/// <summary>An <see cref="IRemoteHost"/> for unit tests of code that drives nodes: it records every command and file,
/// answers from rules added with <see cref="On(Func{RemoteCommand, bool}, FakeReply)"/> (last added wins; no rule
/// means exit 0), and streams scripted output lines to the caller's callback like the real host does.</summary>
public sealed class FakeRemoteHost(SshTarget target) : IRemoteHost
{
    private readonly List<(Func<RemoteCommand, bool> Match, Func<RemoteCommand, FakeReply> Reply)> _rules = [];
    private readonly List<(Func<RemoteCommand, bool> Match, Func<FakeChannelPeer, CancellationToken, Task<int>> Script)> _channelRules = [];
    private readonly ConcurrentQueue<RemoteCommand> _commands = new();
    private readonly ConcurrentDictionary<string, (byte[] Content, UnixFileMode? Mode)> _files = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Exception? _failAll;

    public SshTarget Target { get; } = target;

    /// <summary>Every command run, in order.</summary>
    public IReadOnlyList<RemoteCommand> Commands => [.. _commands];

    /// <summary>The shell text of every command run, in order.</summary>
    public IReadOnlyList<string> CommandLines => [.. _commands.Select(c => c.ShellText)];

    /// <summary>Files uploaded or written, by remote path.</summary>
    public IReadOnlyDictionary<string, byte[]> Files => _files.ToDictionary(f => f.Key, f => f.Value.Content, StringComparer.Ordinal);

    /// <summary>The mode a file was written with (null for uploads).</summary>
    public UnixFileMode? ModeOf(string remotePath) => _files.TryGetValue(remotePath, out var file) ? file.Mode : null;

    /// <summary>Answers commands that match with <paramref name="reply"/>.</summary>
    public FakeRemoteHost On(Func<RemoteCommand, bool> match, FakeReply reply) => On(match, _ => reply);

    public FakeRemoteHost On(Func<RemoteCommand, bool> match, Func<RemoteCommand, FakeReply> reply)
    {
        lock (_lock)
        {
            _rules.Add((match, reply));
        }

        return this;
    }

    /// <summary>Answers commands whose program (first argument) is <paramref name="program"/>.</summary>
    public FakeRemoteHost OnProgram(string program, FakeReply reply) => On(c => c.Arguments[0] == program, reply);

    /// <summary>Every command and file operation throws <paramref name="exception"/> (a host that cannot be reached).</summary>
    public FakeRemoteHost FailEverything(Exception exception)
    {
        lock (_lock)
        {
            _rules.Clear();
            _rules.Add((_ => true, _ => new FakeReply(Throws: exception)));
            _failAll = exception;
        }

        return this;
    }

    public async Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        cancellationToken.ThrowIfCancellationRequested();
        FakeReply reply;
        lock (_lock)
        {
            var rule = _rules.LastOrDefault(r => r.Match(command));
            reply = rule.Reply is null ? new FakeReply() : rule.Reply(command);
        }

        if (reply.Throws is { } exception)
        {
            throw exception;
        }

        _commands.Enqueue(command);
        if (reply.RunsUntilCancelled)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }

        foreach (var line in Lines(reply.StandardOutput))
        {
            options?.Output?.Invoke(new RemoteOutputLine(RemoteStream.StandardOutput, line));
        }

        foreach (var line in Lines(reply.StandardError))
        {
            options?.Output?.Invoke(new RemoteOutputLine(RemoteStream.StandardError, line));
        }

        return new RemoteCommandResult(command, Target.ToString(), reply.ExitCode, null, reply.StandardOutput, reply.StandardError, TimeSpan.Zero);
    }

    /// <summary>Channels (<see cref="OpenChannelAsync"/>) whose command matches run <paramref name="script"/> as the
    /// remote command (last added wins; no rule: the command exits 0 at once with no output). The script reads the
    /// caller's input and writes its output through the <see cref="FakeChannelPeer"/>; its result is the exit code; its
    /// token is cancelled when the caller disposes the channel and the script did not end on end-of-file.</summary>
    public FakeRemoteHost OnChannel(Func<RemoteCommand, bool> match, Func<FakeChannelPeer, CancellationToken, Task<int>> script)
    {
        lock (_lock)
        {
            _channelRules.Add((match, script));
        }

        return this;
    }

    public Task<IRemoteChannel> OpenChannelAsync(RemoteCommand command, RemoteChannelOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfFailing();
        Func<FakeChannelPeer, CancellationToken, Task<int>> script;
        lock (_lock)
        {
            script = _channelRules.LastOrDefault(r => r.Match(command)).Script ?? ((_, _) => Task.FromResult(0));
        }

        _commands.Enqueue(command);
        return Task.FromResult<IRemoteChannel>(new FakeRemoteChannel(command, Target.ToString(), script, cancellationToken));
    }

    public async Task UploadAsync(Stream content, string remotePath, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ThrowIfFailing();
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            copy.Write(buffer, 0, read);
            progress?.Report(copy.Length);
        }

        _files[remotePath] = (copy.ToArray(), null);
    }

    public Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfFailing();
        _files[remotePath] = (content.ToArray(), mode);
        return Task.CompletedTask;
    }

    private void ThrowIfFailing()
    {
        if (_failAll is { } exception)
        {
            throw exception;
        }
    }

    private static string[] Lines(string text) =>
        text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');
}

/// <summary>An <see cref="IRemoteHosts"/> of <see cref="FakeRemoteHost"/>s, one per target, refusing unpinned targets
/// like the real pool.</summary>
public sealed class FakeRemoteHosts : IRemoteHosts
{
    private readonly ConcurrentDictionary<SshTarget, FakeRemoteHost> _hosts = new();

    /// <summary>The fake for a target (made on first use), to script it before the code under test runs.</summary>
    public FakeRemoteHost Host(SshTarget target) => _hosts.GetOrAdd(target, t => new FakeRemoteHost(t));

    public IReadOnlyCollection<FakeRemoteHost> Hosts => [.. _hosts.Values];

    public IRemoteHost For(SshTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var problems = target.Validate();
        if (problems.Count > 0)
        {
            var failure = string.IsNullOrWhiteSpace(target.PinnedHostKey) ? RemoteFailure.HostKeyNotPinned : RemoteFailure.InvalidTarget;
            throw new RemoteHostException(failure, target.ToString(), string.Join("; ", problems));
        }

        return Host(target);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
