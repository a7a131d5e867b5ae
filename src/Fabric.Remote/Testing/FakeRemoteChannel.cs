using System.IO.Pipelines;
using Fabric.Remote.Channels;
using Fabric.Remote.Commands;

namespace Fabric.Remote.Testing;

/// <summary>The far end of a <see cref="FakeRemoteHost"/> channel, given to the test's script: it reads what the code
/// under test writes (<see cref="FromCaller"/>, which ends when the caller completes its input or disposes the channel)
/// and writes what that code reads (<see cref="ToCaller"/>).</summary>
public sealed class FakeChannelPeer
{
    internal FakeChannelPeer(RemoteCommand command, Stream fromCaller, Stream toCaller)
    {
        Command = command;
        FromCaller = fromCaller;
        ToCaller = toCaller;
    }

    public RemoteCommand Command { get; }

    public Stream FromCaller { get; }

    public Stream ToCaller { get; }
}

/// <summary>A scripted channel: the script runs as the remote command; its result is the exit code. Disposal completes the
/// caller's input, gives the script a moment, then cancels its token (the command is stopped).</summary>
internal sealed class FakeRemoteChannel : IRemoteChannel
{
    private readonly Pipe _toPeer = new();
    private readonly Pipe _toCaller = new();
    private readonly CancellationTokenSource _stop;
    private int _disposed;

    public FakeRemoteChannel(RemoteCommand command, string target, Func<FakeChannelPeer, CancellationToken, Task<int>> script, CancellationToken cancellationToken)
    {
        Command = command;
        Target = target;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Input = _toPeer.Writer.AsStream();
        Output = _toCaller.Reader.AsStream();
        var peer = new FakeChannelPeer(command, _toPeer.Reader.AsStream(), _toCaller.Writer.AsStream());
        Completion = RunAsync(script, peer);
    }

    public RemoteCommand Command { get; }

    public string Target { get; }

    public Stream Input { get; }

    public Stream Output { get; }

    public Task<RemoteCommandResult> Completion { get; }

    public async Task CompleteInputAsync() => await _toPeer.Writer.CompleteAsync().ConfigureAwait(false);

    private async Task<RemoteCommandResult> RunAsync(Func<FakeChannelPeer, CancellationToken, Task<int>> script, FakeChannelPeer peer)
    {
        await Task.Yield();
        try
        {
            int exitCode = await script(peer, _stop.Token).ConfigureAwait(false);
            return new RemoteCommandResult(Command, Target, exitCode, null, "", "", TimeSpan.Zero);
        }
        finally
        {
            await _toCaller.Writer.CompleteAsync().ConfigureAwait(false);
            await _toPeer.Reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await CompleteInputAsync().ConfigureAwait(false);
        await ((Task)Completion).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _stop.CancelAsync().ConfigureAwait(false);
        await ((Task)Completion).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _toCaller.Reader.CompleteAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
