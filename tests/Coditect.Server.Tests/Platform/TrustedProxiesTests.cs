using System.Net;
using Coditect.Server.Platform;

namespace Coditect.Server.Tests.Platform;

/// <summary><c>Api:TrustedProxies</c>: whose X-Forwarded-For counts (the load-balancer fault test checks it end to end).</summary>
public sealed class TrustedProxiesTests
{
    [Fact]
    public void Empty_trusts_loopback_and_private_networks_only()
    {
        var networks = new ApiOptions().ProxyNetworks()!;
        foreach (var trusted in new[] { "127.0.0.1", "10.1.2.3", "172.20.0.4", "192.168.1.1", "::1", "fd00::5" })
        {
            networks.Any(n => n.Contains(IPAddress.Parse(trusted))).ShouldBeTrue(trusted);
        }

        foreach (var untrusted in new[] { "8.8.8.8", "172.32.0.1", "35.191.0.1", "2001:db8::1" })
        {
            networks.Any(n => n.Contains(IPAddress.Parse(untrusted))).ShouldBeFalse(untrusted);
        }
    }

    [Fact]
    public void Addresses_and_networks_are_read_and_anything_else_is_refused()
    {
        var options = new ApiOptions { TrustedProxies = " 35.191.0.0/16, 130.211.0.0/22 ,192.0.2.7,2001:db8::/32" };
        var networks = options.ProxyNetworks()!;
        networks.Count.ShouldBe(4);
        networks.Any(n => n.Contains(IPAddress.Parse("35.191.200.1"))).ShouldBeTrue();
        networks.Any(n => n.Contains(IPAddress.Parse("192.0.2.7"))).ShouldBeTrue();
        networks.Any(n => n.Contains(IPAddress.Parse("192.0.2.8"))).ShouldBeFalse("an address is a network of one");
        networks.Any(n => n.Contains(IPAddress.Parse("10.0.0.1"))).ShouldBeFalse("a list replaces the private default");
        ApiOptions.IsValid(options).ShouldBeTrue();

        ApiOptions.IsValid(new ApiOptions { TrustedProxies = "*" }).ShouldBeTrue();
        new ApiOptions { TrustedProxies = " * " }.TrustsAnyProxy.ShouldBeTrue();
        ApiOptions.IsValid(new ApiOptions { TrustedProxies = "10.0.0.0/8, balancer.internal" }).ShouldBeFalse();
        ApiOptions.IsValid(new ApiOptions { TrustedProxies = "10.0.0.0/33" }).ShouldBeFalse();
    }
}
