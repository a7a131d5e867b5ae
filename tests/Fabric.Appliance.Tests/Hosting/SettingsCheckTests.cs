using Fabric.Appliance.Hosting;

namespace Fabric.Appliance.Tests.Hosting;

public sealed class SettingsCheckTests
{
    [Fact]
    public void Describe_StartupProblemsInsideAggregate_EveryLineOnce()
    {
        var e = new AggregateException(
            new StartupProblemException(["Fabric:Tftp:Endpoint: '127.0.0.1:69' cannot be listened on: in use"]),
            new Microsoft.Extensions.Options.OptionsValidationException("x", typeof(object), ["Fabric:BootTimeout: '0' is not positive", "Fabric:Tftp:Endpoint: '127.0.0.1:69' cannot be listened on: in use"]));

        Assert.Equal(
            ["Fabric:Tftp:Endpoint: '127.0.0.1:69' cannot be listened on: in use", "Fabric:BootTimeout: '0' is not positive"],
            SettingsCheck.Describe(e));
    }

    [Fact]
    public void Describe_KestrelAddressInUse_NamesUrls()
    {
        var e = new IOException("Failed to bind to address http://127.0.0.1:8080: address already in use.", new Microsoft.AspNetCore.Connections.AddressInUseException("in use"));

        Assert.Equal(["Urls: Failed to bind to address http://127.0.0.1:8080: address already in use."], SettingsCheck.Describe(e));
    }

    [Fact]
    public void Describe_AnyOtherException_NullSoItKeepsItsStackTrace()
    {
        Assert.Null(SettingsCheck.Describe(new InvalidOperationException("a bug")));
        Assert.Null(SettingsCheck.Describe(new AggregateException(new StartupProblemException(["a"]), new InvalidOperationException())));
    }
}
