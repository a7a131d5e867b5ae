using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Fabric.Tftp;
using Fabric.Tftp.Files;

namespace Fabric.Appliance.Hosting;

/// <summary>Runs <see cref="TftpServer"/> for the lifetime of the host.</summary>
internal sealed class TftpHostedService(
    TftpSettings settings,
    ApplianceOptions appliance,
    ILogger<TftpServer> logger,
    ITftpVirtualFiles? virtualFiles,
    TimeProvider? timeProvider,
    IMeterFactory? meterFactory) : IHostedService, IAsyncDisposable
{
    private TftpServer? _server;

    public TftpServer? Server => _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = settings.ToServerOptions(appliance.BootDir);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new StartupProblemException(errors.Select(e => $"{TftpSettings.Section}: {e}").ToList());
        }

        _server = new TftpServer(options, logger, virtualFiles, timeProvider, meterFactory);
        try
        {
            await _server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new StartupProblemException([$"{TftpSettings.Section}:Endpoint: '{settings.Endpoint}' cannot be listened on: {e.Message}"]);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        _server?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
