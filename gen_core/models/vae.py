"""The variational autoencoder and the conditional VAE (Kingma & Welling, 2014; Sohn et al., 2015).

A latent-variable model p_theta(x) = int p(z) p_theta(x | z) dz with

    p(z) = N(0, I),    p_theta(x | z) = prod_i Bernoulli(x_i; sigma(g_theta(z)_i))   (binarized images)

The integral is intractable, so an encoder q_phi(z | x) = N(mu_phi(x), diag sigma_phi(x)^2)
(amortized inference) gives the evidence lower bound

    log p(x) >= ELBO = E_{q(z|x)}[log p(x | z)] - KL(q(z | x) || p(z)),
    KL = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)          (analytic for two Gaussians)

whose reconstruction term is estimated by Monte Carlo with the reparametrization
z = mu + sigma * eps, eps ~ N(0, I), so the gradient flows through mu and sigma. Training
maximizes the ELBO. The importance-weighted bound with k samples z_j ~ q(z | x),

    log p(x) >= log 1/k sum_j p(x, z_j) / q(z_j | x)   (Burda et al., 2016),

is tighter than the ELBO (k = 1) and approaches log p(x) as k grows: reported as -log p(x) <= ...

The conditional VAE feeds the class y to encoder and decoder and keeps the same prior,

    p_theta(x | y) = int N(z; 0, I) prod_i Bernoulli(x_i; sigma(g_theta(z, y)_i)) dz,
    q_phi(z | x, y) = N(mu_phi(x, y), diag sigma_phi(x, y)^2),

so z only has to hold the *style* of an image of class y, and its bounds are on log p(x | y) (same
ELBO and importance-weighted bound, every term given y). The encoder outputs mu and log sigma^2; the
bodies are shared with the plain autoencoder (``gen_core.models.autoencoder``, ``gen_core.nn.conv``).
"""
from __future__ import annotations

import math

import torch

from .autoencoder import Autoencoder, log_bernoulli

LOG_2PI = math.log(2 * math.pi)


def gaussian_kl(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag sigma^2) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2): [B] nats."""
    return 0.5 * (mu ** 2 + log_var.exp() - 1 - log_var).sum(1)


def aggregate_kl(mu: torch.Tensor, log_var: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """Mean over the classes c in the batch of KL(N(m_c, S_c) || N(0, I)), N(m_c, S_c) the Gaussian with the
    moments of the class's aggregate posterior q(z | y = c) = mean_{i: y_i = c} N(mu_i, diag sigma_i^2):

        m_c = mean mu_i,   S_c = mean (mu_i - m_c)(mu_i - m_c)^T + mean diag sigma_i^2,
        KL = 1/2 (tr S_c + |m_c|^2 - d - log det S_c).

    Zero when every class's codes have the prior's mean and covariance (z independent of y, to two moments)."""
    groups = [torch.ones(len(mu), dtype=torch.bool, device=mu.device)] if y is None else [y == c for c in y.unique()]
    total = 0.0
    for g in groups:
        m, centred = mu[g].mean(0), mu[g] - mu[g].mean(0)
        s = centred.T @ centred / len(centred) + torch.diag(log_var[g].exp().mean(0))
        total = total + 0.5 * (s.trace() + m @ m - len(m) - torch.logdet(s))
    return total / len(groups)


def log_normal(z: torch.Tensor, mu: torch.Tensor | float = 0.0, log_var: torch.Tensor | float = 0.0) -> torch.Tensor:
    """log N(z; mu, diag exp(log_var)) summed over the last dimension."""
    log_var = torch.as_tensor(log_var, dtype=z.dtype, device=z.device)
    return -0.5 * (LOG_2PI + log_var + (z - mu) ** 2 / log_var.exp()).sum(-1)


class VAE(Autoencoder):
    """q(z | x, y) = N(mu, diag sigma^2) from the encoder, Bernoulli p(x | z, y) from the decoder, p(z) = N(0, I)."""

    code_params = 2  # mu and log sigma^2 per latent dimension
    has_likelihood_bound = True  # the ELBO and the importance-weighted bound
    objective = "neg_elbo_nats"

    def __init__(self, *args, beta: float = 1.0, class_match: float = 0.0, **kwargs):
        """``beta``, ``class_match``: weights of the training loss's KL terms (``loss``); 1 and 0 train on the ELBO."""
        super().__init__(*args, **kwargs)
        self.beta, self.class_match = beta, class_match

    def posterior(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, log sigma^2) of q(z | x, y), each [B, z_dim]."""
        mu, log_var = super().encode(x, y).chunk(2, dim=1)
        return mu, log_var

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The posterior mean mu(x, y): the code the app puts on the sliders."""
        return self.posterior(x, y)[0]

    @staticmethod
    def reparametrize(mu, log_var, n: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples z = mu + sigma * eps per image, eps ~ N(0, I): [n, B, z_dim]."""
        eps = torch.randn((n, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + (0.5 * log_var).exp() * eps

    def expected_log_likelihood(self, x, y, mu, log_var, n_samples: int = 1,
                                generator: torch.Generator | None = None) -> torch.Tensor:
        """E_q[log p(x | z, y)] estimated with ``n_samples`` reparametrized z ~ q = N(mu, diag sigma^2): [B] nats."""
        z = self.reparametrize(mu, log_var, n_samples, generator)                  # [n, B, z_dim]
        reps = lambda t: None if t is None else t.repeat(n_samples, *([1] * (t.dim() - 1)))  # noqa: E731
        logits = self.decode(z.flatten(0, 1), reps(y))
        return log_bernoulli(reps(x), logits).view(n_samples, len(x)).mean(0)

    def elbo_terms(self, x: torch.Tensor, y: torch.Tensor | None = None, n_samples: int = 1,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(E_q[log p(x | z)] estimated with ``n_samples`` reparametrized z, KL(q || p) analytic), each [B] nats."""
        mu, log_var = self.posterior(x, y)
        return self.expected_log_likelihood(x, y, mu, log_var, n_samples, generator), gaussian_kl(mu, log_var)

    def elbo(self, x, y=None, n_samples: int = 1, generator=None) -> torch.Tensor:
        """ELBO = E_q[log p(x | z)] - KL(q(z | x) || p(z)): [B] nats, a lower bound on log p(x)."""
        reconstruction, kl = self.elbo_terms(x, y, n_samples, generator)
        return reconstruction - kl

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """-(E_q[log p(x | z)] - beta KL) averaged over a batch (x, y), the negative ELBO when beta = 1, plus
        ``class_match`` times the classes' aggregate-posterior KL (``aggregate_kl``). A beta > 1 (Higgins et al.,
        2017) makes every nat z carries cost more; the class term asks each class's codes to fill the prior, so
        that z ~ N(0, I) decodes, for any class y, to a code that class's images use. What is measured
        (``measure``) is always the ELBO itself."""
        x, y = batch
        mu, log_var = self.posterior(x, y)
        loss = -(self.expected_log_likelihood(x, y, mu, log_var) - self.beta * gaussian_kl(mu, log_var)).mean()
        if self.class_match:
            loss = loss + self.class_match * aggregate_kl(mu, log_var, y)
        return loss

    @torch.no_grad()
    def measure(self, x: torch.Tensor, y: torch.Tensor | None = None, k: int = 0,
                generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """{name: float64 [B] nats}, named as in the sidecar: -E_q[log p(x|z)] (one reparametrized z), the KL,
        their sum the negative ELBO and, for k > 0, -log 1/k sum_j w_j (the importance-weighted bound)."""
        reconstruction, kl = self.elbo_terms(x, y, generator=generator)
        out = {"reconstruction_nats": -reconstruction.double(), "kl_nats": kl.double()}
        out[self.objective] = out["reconstruction_nats"] + out["kl_nats"]
        if k:
            out["iw_nll_nats"] = -self.iw_bound(x, y, k, generator=generator)
        return out

    def code_distribution(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, std) [z_dim] of the codes: those of the prior p(z) = N(0, I)."""
        return torch.zeros(self.z_dim), torch.ones(self.z_dim)

    def measured_as(self, k: int) -> str:
        given = " | y), the class given" if self.conditional else ")"
        return (f"upper bounds on -log p(x{given}: negative ELBO (1 sample, analytic KL) and the "
                f"importance-weighted bound with k = {k}")

    @torch.no_grad()
    def log_weights(self, x: torch.Tensor, y: torch.Tensor | None = None, k: int = 100,
                    generator: torch.Generator | None = None) -> torch.Tensor:
        """log w_j = log p(x | z_j) + log p(z_j) - log q(z_j | x) for k samples z_j ~ q(z | x): [B, k]."""
        mu, log_var = self.posterior(x, y)
        z = self.reparametrize(mu, log_var, k, generator)                          # [k, B, z_dim]
        reps = lambda t: t.repeat(k, *([1] * (t.dim() - 1)))  # noqa: E731
        logits = self.decode(z.flatten(0, 1), None if y is None else reps(y))
        log_px_z = log_bernoulli(reps(x), logits).view(k, len(x))
        return (log_px_z + log_normal(z) - log_normal(z, mu, log_var)).T

    @torch.no_grad()
    def iw_bound(self, x: torch.Tensor, y: torch.Tensor | None = None, k: int = 100, chunk: int = 50,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """log 1/k sum_j w_j, a lower bound on log p(x) (log p(x | y) when conditional) tightening with k: [B]."""
        log_w = torch.cat([self.log_weights(x, y, min(chunk, k - start), generator)
                           for start in range(0, k, chunk)], dim=1)
        return torch.logsumexp(log_w.double(), dim=1) - math.log(k)

    @torch.no_grad()
    def sample(self, n: int, y: torch.Tensor | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """E[x | z, y] for n codes z ~ p(z) = N(0, I) drawn on the CPU: [n, 1, 28, 28] in [0, 1]."""
        return self.mean_image(torch.randn(n, self.z_dim, generator=generator), y)
