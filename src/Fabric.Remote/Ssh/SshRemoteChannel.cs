using System.IO.Pipelines;
using System.Text;
using Fabric.Remote.Channels;
using Fabric.Remote.Commands;
using Microsoft.Extensions.Logging;
using Renci.SshNet.Common;

namespace Fabric.Remote.Ssh;

/// <summary>A command started by <see cref="SshRemoteHost.OpenChannelAsync"/> under the channel supervisor: its stdout is
/// copied into a pipe (so the caller reads a plain stream that ends cleanly), its stderr is read line by line without the
/// supervisor's NUL probes, and its stdin is SSH.NET's channel input stream.</summary>
internal sealed partial class SshRemoteChannel : IRemoteChannel
{
    /// <summary>How long disposal waits for the command to end on its own after end-of-file on its input.</summary>
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(2);

    private readonly SshRemoteHost.Started _started;
    private readonly Stream _input;
    private readonly CancellationTokenSource _life;
    private readonly CancellationTokenSource _linked;
    private readonly Pipe _stdout = new(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024));
    private readonly Action _release;
    private readonly ILogger _logger;
    private int _disposed;
    private int _inputClosed;

    public SshRemoteChannel(
        RemoteCommand command, string target, SshRemoteHost.Started started, Stream input, CancellationTokenSource life, CancellationTokenSource linked,
        TimeSpan timeout, Action<string>? error, TimeProvider time, ILogger logger, Action release, CancellationToken cancellationToken)
    {
        Command = command;
        Target = target;
        _started = started;
        _input = input;
        _life = life;
        _linked = linked;
        _release = release;
        _logger = logger;
        Input = new InputStream(this);
        Output = _stdout.Reader.AsStream();
        var stdout = PumpOutputAsync(started.Command.OutputStream, _stdout.Writer);
        var stderr = PumpErrorAsync(started.Command.ExtendedOutputStream, error);
        Completion = CompleteAsync(stdout, stderr, timeout, time, cancellationToken);
    }

    public RemoteCommand Command { get; }

    public string Target { get; }

    public Stream Input { get; }

    public Stream Output { get; }

    public Task<RemoteCommandResult> Completion { get; }

    public Task CompleteInputAsync()
    {
        if (Interlocked.Exchange(ref _inputClosed, 1) == 0)
        {
            try
            {
                // SSH.NET's input stream sends the channel's EOF when disposed.
                _input.Dispose();
            }
            catch (Exception e) when (e is SshException or ObjectDisposedException or IOException or InvalidOperationException)
            {
                // The channel is already closed: the command has its end-of-file.
            }
        }

        return Task.CompletedTask;
    }

    private async Task<RemoteCommandResult> CompleteAsync(Task stdout, Task<string> stderr, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        try
        {
            try
            {
                await _started.Execution.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_life.IsCancellationRequested && !cancellationToken.IsCancellationRequested && Volatile.Read(ref _disposed) == 0)
            {
                Log.ChannelStopped(_logger, Target, Command.ShellText, $"timeout {timeout}");
                throw new RemoteCommandTimeoutException(Command, Target, timeout);
            }
            catch (OperationCanceledException)
            {
                if (Volatile.Read(ref _disposed) == 0)
                {
                    Log.ChannelStopped(_logger, Target, Command.ShellText, "cancelled");
                }

                throw;
            }
            catch (Exception e) when (e is SshConnectionException or SshException or ObjectDisposedException)
            {
                throw new RemoteHostException(RemoteFailure.ConnectionLost, Target, $"lost the connection while running '{Command}': {ConnectRetry.Reason(e)}", e);
            }

            await stdout.ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            int exitCode = _started.Command.ExitStatus ?? -1;
            var elapsed = time.GetElapsedTime(started);
            Log.ChannelExited(_logger, Target, Command.ShellText, exitCode, elapsed);
            return new RemoteCommandResult(Command, Target, exitCode, _started.Command.ExitSignal, "", error, elapsed);
        }
        finally
        {
            // Whatever happened, the channel is closed now (after a timeout or cancellation that is what makes the
            // supervisor stop the command), and the reader sees the end of the output once everything received was passed on.
            _started.Dispose();
            await stdout.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _release();
        }
    }

    private static async Task PumpOutputAsync(Stream from, PipeWriter to)
    {
        // Off the constructor's thread: SSH.NET's pipe stream may block a reader.
        await Task.Yield();
        Exception? failure = null;
        try
        {
            while (true)
            {
                var memory = to.GetMemory(16 * 1024);
                int read = await from.ReadAsync(memory).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                to.Advance(read);
                var flushed = await to.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    // The reader is gone; the rest is not wanted.
                    break;
                }
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException or SshException)
        {
            // The channel was closed under the reader: the output ends here.
        }
        catch (Exception e)
        {
            failure = e;
        }

        await to.CompleteAsync(failure).ConfigureAwait(false);
    }

    /// <summary>Reads stderr line by line, dropping the supervisor's NUL probes, passing each line on and keeping the start.</summary>
    private static async Task<string> PumpErrorAsync(Stream stream, Action<string>? error)
    {
        await Task.Yield();
        var kept = new StringBuilder();
        try
        {
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } raw)
            {
                var text = raw.Replace("\0", "", StringComparison.Ordinal);
                if (text.Length == 0 && raw.Length > 0)
                {
                    continue;
                }

                error?.Invoke(text);
                if (kept.Length < RemoteCommandResult.MaxCapturedChars)
                {
                    kept.Append(text.AsSpan(0, Math.Min(text.Length, RemoteCommandResult.MaxCapturedChars - kept.Length))).Append('\n');
                }
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException or SshException)
        {
            // The channel was closed under the reader.
        }

        return kept.ToString();
    }

    /// <summary>End-of-file on the input; the command has <see cref="ExitGrace"/> to end on its own; then the channel is
    /// closed, which makes the supervisor on the node stop it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await CompleteInputAsync().ConfigureAwait(false);
        try
        {
            await ((Task)Completion).WaitAsync(ExitGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            if (!Completion.IsCompleted)
            {
                await _life.CancelAsync().ConfigureAwait(false);
                await ((Task)Completion).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            await _stdout.Reader.CompleteAsync().ConfigureAwait(false);
            _started.Dispose();
            _linked.Dispose();
            _life.Dispose();
        }
    }

    /// <summary>The command's stdin as the caller sees it: SSH.NET's failures on a closed channel become <see cref="IOException"/>.</summary>
    private sealed class InputStream(SshRemoteChannel channel) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Volatile.Read(ref channel._inputClosed) != 0)
            {
                throw new IOException($"{channel.Target}: the input of '{channel.Command}' is closed");
            }

            try
            {
                channel._input.Write(buffer);
            }
            catch (Exception e) when (e is SshException or ObjectDisposedException or InvalidOperationException)
            {
                throw new IOException($"{channel.Target}: the channel of '{channel.Command}' is closed: {e.Message}", e);
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // SSH.NET sends synchronously and waits for the peer's window: keep that off the caller's thread.
            await Task.Run(() => Write(buffer.Span), cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
